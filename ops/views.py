from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .selectors import health_report


@never_cache
@require_GET
def healthz(request):
    """For load balancers and our own checks: 200 when the app can serve exams, 503 when it cannot."""
    report, usable = health_report()
    return JsonResponse(report, status=200 if usable else 503)


@never_cache
@require_GET
def ping(request):
    """The cheapest authenticated request Moshi serves: session, user, JSON. The load test measures it
    beside autosave to tell Django's per-request floor from the cost of the exam's own work."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "login required"}, status=401)
    return JsonResponse({"ok": True})
