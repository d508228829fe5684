from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    """One error format for every API error: {"error": {"status": 404, "code": "not_found", "message": "…"}}."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    codes = exc.get_codes() if hasattr(exc, "get_codes") else "error"
    data = response.data
    fields = data if isinstance(data, dict) and "detail" not in data else None
    if isinstance(data, dict) and "detail" in data:
        message = str(data["detail"])
    elif isinstance(data, list):
        message = " ".join(map(str, data))
    else:  # field errors: the message names each field, so a client can show it as it is
        message = "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in (fields or {}).items())
    response.data = {
        "error": {
            "status": response.status_code,
            "code": codes if isinstance(codes, str) else "invalid",
            "message": message or "invalid request",
            **({"fields": fields} if fields else {}),
        }
    }
    return response


def not_found(request, *args, **kwargs):
    """Any other path under /api/v1/ (including a malformed id): the same error format, not an HTML page."""
    message = _("この URL の API はありません。使えるものは /api/docs/ にあります。")
    body = {"error": {"status": 404, "code": "not_found", "message": message}}
    return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
