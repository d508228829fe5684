import time

from . import metrics


class MetricsMiddleware:
    """Times every request from just inside RequestIdMiddleware to the response and counts the exam's own
    requests (ops.metrics). The view label is the URL name, so /exams/attempts/123/save and …/124/save are one
    series."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        metrics.observe(
            view=match.view_name if match else None,
            method=request.method,
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response
