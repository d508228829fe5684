from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
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
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    response.data = {
        "error": {
            "status": response.status_code,
            "code": codes if isinstance(codes, str) else "invalid",
            "message": str(detail) if detail is not None else "invalid request",
            **({"fields": response.data} if detail is None else {}),
        }
    }
    return response


def not_found(request, *args, **kwargs):
    """Any other path under /api/v1/ (including a malformed id): the same error format, not an HTML page."""
    return JsonResponse({"error": {"status": 404, "code": "not_found", "message": "Not found."}}, status=404)
