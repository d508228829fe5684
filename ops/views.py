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
