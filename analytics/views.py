import random

from django.contrib.auth.decorators import login_required
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from common import charts
from common.http import parse_int
from exams import selectors as exam_selectors
from exams.models import Attempt

from . import selectors
from .presenting import answer_grid_html, note_controls_html, review_html


@never_cache  # private results: not kept by the browser or any proxy
@login_required
def attempt_result(request, attempt_id):
    attempt = exam_selectors.attempt_of(user=request.user, attempt_id=attempt_id)
    if attempt.status in (Attempt.Status.OPEN, Attempt.Status.ABANDONED):  # no result: the exam page says where
        return redirect("exams:attempt", attempt_id=attempt.pk)
    context = {
        "attempt": attempt,
        "refresh": _scoring_refresh(request) if attempt.status == Attempt.Status.SUBMITTED else None,
    }
    if attempt.status == Attempt.Status.SCORED:
        previous = selectors.previous_attempt(attempt=attempt)
        areas = selectors.area_rows(attempt=attempt, previous=previous)
        items = selectors.review_items(attempt=attempt)
        pace = selectors.pace(attempt=attempt, items=items)
        tops = [a for a in areas if a.is_top]
        cohort = selectors.cohort(attempt=attempt)
        context |= {
            "previous": previous,
            "areas": areas,
            "rollup": selectors.report_area_rollup(areas) if attempt.blueprint.exam.code == "e_shikaku" else [],
            "standing": selectors.standing(attempt=attempt, cohort=cohort),
            "distribution": cohort
            and charts.histogram(
                selectors.score_bands(cohort, attempt.question_count),
                bin_edges=[i / 10 for i in range(11)],
                marker=attempt.score,
                marker_label=_("あなた"),
                title=_("受験者の得点分布"),
            ),
            "min_cohort": selectors.MIN_COHORT,
            "estimates": selectors.estimates(attempt=attempt),
            "weakest": selectors.weakest_areas(areas),
            "drill": exam_selectors.drill_for(exam_id=attempt.blueprint.exam_id),
            "review_html": review_html(
                items,
                notes=selectors.notes_for(user=request.user, items=items),
                note_form=_note_form(request, attempt),
            ),
            "answer_grid": answer_grid_html(items),
            "priority": selectors.priority_review(items),
            "pace": pace,
            "radar": charts.radar_chart(
                [a.code for a in tops],
                [(_("今回"), [a.rate for a in tops])]
                + ([(_("前回"), [a.previous_rate for a in tops])] if previous else [])
                + [(_("受験者平均"), [a.cohort_rate for a in tops])],
                title=_("分野別の正答率"),
                names=[a.name for a in tops],
            ),
            "pace_chart": _pace_chart(pace),
        }
    return render(request, "analytics/attempt_result.html", context)


def _note_form(request, attempt):
    """Per question: bookmark it, and (once its key may be shown) a private note, saved by the study app."""
    token, back = get_token(request), reverse("analytics:attempt_result", args=[attempt.pk])
    return lambda question_id, note: note_controls_html(
        question_id, note, action=reverse("study:note", args=[question_id]), back=back, csrf_token=token
    )


def _scoring_refresh(request) -> dict:
    """While scoring runs, the page reloads itself: after 2 s, then a little later each time (up to 15 s),
    with jitter, so 2,000 candidates who submit at the same deadline do not reload in step and crowd out
    the scoring they wait for."""
    wait = min(parse_int(request.GET.get("wait")) or 0, 10)
    return {"seconds": min(2 + 2 * wait, 15) + random.randint(0, 2), "next": wait + 1}


def _pace_chart(pace):
    if pace is None:
        return ""
    step = max(1, len(pace.points) // 20)
    points = pace.points[::step]
    return charts.line_chart(
        [str(k) for k, _, _ in points],
        [(_("あなた"), [e for _, e, _ in points]), (_("均等ペース"), [p for _, _, p in points])],
        title=_("解答数と経過時間（制限時間に対する割合）"),
    )


@never_cache
@login_required
def history(request):
    attempts, blueprints, chosen, trend, area_trend = selectors.history(
        user=request.user, blueprint_slug=request.GET.get("blueprint")
    )
    chart = ""
    if trend:
        chart = charts.line_chart(
            [f"{localtime(a.started_at):%m/%d}" for a in trend],
            [(_("得点"), [a.score for a in trend])],
            title=_("得点の推移"),
            reference=trend[-1].pass_ratio,
            reference_label=_("合格ライン（目安）"),
        )
    area_rows = [(name, [rates.get(a.pk) for a in trend]) for name, rates in area_trend.items()]
    return render(
        request,
        "analytics/history.html",
        {
            "attempts": attempts,
            "blueprints": blueprints,
            "chosen": chosen,
            "trend": trend,
            "chart": chart,
            "area_rows": area_rows,
            "drill": chosen and exam_selectors.drill_for(exam_id=chosen.exam_id),
        },
    )
