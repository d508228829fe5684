"""`Authorization: Bearer moshi_…` for the HR REST API: an organization's token, never a person's session."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from organizations.models import ApiToken, secret_hash

# last_used_at is written at most this often, so reads do not turn into writes.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class OrganizationClient:
    """Who is asking: an organization, through one of its tokens."""

    organization_id: int
    token_id: int
    scopes: tuple[str, ...] = ()
    is_authenticated: bool = True


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization: Bearer <トークン> の形で送ってください。"))
        token = ApiToken.objects.filter(key_hash=secret_hash(header[1]), revoked_at=None).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("トークンが無効か、失効しています。"))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return OrganizationClient(token.organization_id, token.pk, tuple(token.scopes)), token

    def authenticate_header(self, request):
        return self.keyword  # so a missing or bad token is a 401, not a 403


class IsOrganizationClient(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.user, OrganizationClient)


class HasTokenScope(permissions.BasePermission):
    """The token opens the view's API (`required_scope`): an HR dashboard's token cannot provision people, and
    the identity provider's SCIM token cannot read results. Refused with a 403 that names the scope."""

    def has_permission(self, request, view):
        scope = view.required_scope
        if scope in getattr(request.user, "scopes", ()):
            return True
        raise exceptions.PermissionDenied(
            _(
                "このトークンには、この API を使う権限（%(scope)s）がありません。"
                "組織の管理者に発行し直してもらってください。"
            )
            % {"scope": scope}
        )


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Each token has its own budget (settings: REST_FRAMEWORK DEFAULT_THROTTLE_RATES["api_token"])."""

    scope = "api_token"

    def get_cache_key(self, request, view):
        if isinstance(request.user, OrganizationClient):
            return self.cache_format % {"scope": self.scope, "ident": request.user.token_id}
        return None


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "organizationToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An organization API token (moshi_…)."}
