from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from .metrics import exposition
from .selectors import health_report, metrics_allowed


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


@never_cache
@require_GET
def metrics(request):
    """Prometheus' scrape: for the monitoring system only (METRICS_TOKEN or METRICS_ALLOWED_IPS, docs/operations.md)."""
    if not metrics_allowed(request):
        return HttpResponse(status=403)
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
