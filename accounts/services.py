"""Writes about people and organizations; each one a transaction."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import ApiToken, Department, Membership, Organization, User


@transaction.atomic
def user_signup(*, email: str, password: str, display_name: str = "", preferred_language: str = "ja") -> User:
    """An individual candidate with no organization."""
    return User.objects.create_user(
        email=email, password=password, display_name=display_name, preferred_language=preferred_language
    )


def user_set_language(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(preferred_language=language)


@transaction.atomic
def membership_add(
    *,
    user: User,
    organization: Organization,
    role: str = Membership.Role.MEMBER,
    department: Department | None = None,
    employee_code: str = "",
) -> Membership:
    membership = Membership(
        user=user, organization=organization, role=role, department=department, employee_code=employee_code
    )
    membership.full_clean()
    membership.save()
    return membership


TOKEN_PREFIX = "moshi_"  # noqa: S105 - a public prefix, not a secret


def _require_org_admin(user, organization_id: int, message: str) -> None:
    """None is the system itself (commands, tests); a person must be an active org admin of the organization."""
    if (
        user is not None
        and not Membership.objects.filter(
            user=user, organization_id=organization_id, role=Membership.Role.ORG_ADMIN, is_active=True
        ).exists()
    ):
        raise PermissionDenied(message)


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, organization: Organization, name: str, by=None) -> tuple[ApiToken, str]:
    """A new API token for the organization. Returns it with the key, which is never stored or shown again."""
    _require_org_admin(by, organization.pk, "APIトークンを発行できるのは組織の管理者だけです。")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization, name=name, prefix=key[: len(TOKEN_PREFIX) + 6], key_hash=api_token_hash(key),
        created_by=by,
    )  # fmt: skip
    return token, key


def api_token_revoke(*, token: ApiToken, by=None) -> None:
    _require_org_admin(by, token.organization_id, "APIトークンを失効できるのは組織の管理者だけです。")
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
