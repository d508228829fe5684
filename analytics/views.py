from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from exams.models import Attempt

from . import selectors


@login_required
def attempt_result(request, attempt_id):
    attempt = selectors.attempt_for_result(user=request.user, attempt_id=attempt_id)
    if attempt.status == Attempt.Status.OPEN:
        return redirect("exams:attempt", attempt_id=attempt.pk)
    context = {"attempt": attempt}
    if attempt.status == Attempt.Status.SCORED:
        context |= {
            "areas": selectors.area_rows(attempt=attempt),
            "items": selectors.review_items(attempt=attempt),
        }
    return render(request, "analytics/attempt_result.html", context)
