"""SCIM's own error format (RFC 7644 §3.12), for every error under /scim/v2/: the identity provider's
provisioning log shows `detail`, and `scimType` tells it whether to retry, link or give up."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler

from organizations.services import ProvisioningConflict

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
CONTENT_TYPE = "application/scim+json"


class ScimError(exceptions.APIException):
    """An error with its SCIM type: invalidFilter, invalidValue, invalidPath, noTarget, invalidSyntax,
    uniqueness, mutability, tooMany."""

    def __init__(self, detail: str, *, scim_type: str | None = None, status: int = 400):
        super().__init__(detail)
        self.status_code = status
        self.scim_type = scim_type


def error_body(status: int, detail: str, scim_type: str | None = None) -> dict:
    return {
        "schemas": [ERROR_SCHEMA],
        "status": str(status),  # a string, as RFC 7644's examples and Entra ID's validator have it
        **({"scimType": scim_type} if scim_type else {}),
        "detail": detail,
    }


def scim_exception_handler(exc, context):
    scim_type = getattr(exc, "scim_type", None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("この組織にその ID のリソースはありません。"))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ProvisioningConflict):
        exc, scim_type = ScimError(str(exc), status=409), "uniqueness"
    elif isinstance(exc, DjangoValidationError):
        mutability = any(e.code == "mutability" for e in exc.error_list) if hasattr(exc, "error_list") else False
        exc, scim_type = ScimError(" ".join(exc.messages)), "mutability" if mutability else "invalidValue"
    elif isinstance(exc, IntegrityError):
        # Two requests for the same user or group at once (providers send in parallel): the loser is told to
        # look the resource up again, as for any other uniqueness conflict.
        exc, scim_type = (
            ScimError(_("同じリソースが同時に作成されました。検索し直してください。"), status=409),
            "uniqueness",
        )
    elif isinstance(exc, exceptions.ParseError):
        scim_type = "invalidSyntax"
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    detail = str(data.get("detail", "")) if isinstance(data, dict) else " ".join(map(str, data))
    response.data = error_body(response.status_code, detail or _("リクエストが正しくありません。"), scim_type)
    response.content_type = CONTENT_TYPE
    return response


def not_found(request, *args, **kwargs):
    """Any other path under /scim/v2/: SCIM's error format, not an HTML page."""
    body = error_body(
        404, _("この URL の SCIM エンドポイントはありません（Users, Groups, ServiceProviderConfig など）。")
    )
    return JsonResponse(body, status=404, content_type=CONTENT_TYPE, json_dumps_params={"ensure_ascii": False})
