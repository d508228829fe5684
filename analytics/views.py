import csv
import io
import random
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.selectors import manager_membership
from exams import selectors as exam_selectors
from exams.models import Attempt
from questions.models import Exam

from . import charts, org_selectors, selectors
from .models import CLOSE, NOT_TAKEN, NOT_YET, READY, readiness
from .presenting import review_html


@login_required
def attempt_result(request, attempt_id):
    attempt = exam_selectors.attempt_of(user=request.user, attempt_id=attempt_id)
    if attempt.status == Attempt.Status.OPEN:
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
        norm = selectors.cohort_norm(attempt=attempt)
        context |= {
            "previous": previous,
            "areas": areas,
            "rollup": selectors.report_area_rollup(areas) if attempt.blueprint.exam.code == "e_shikaku" else [],
            "standing": selectors.standing(attempt=attempt, norm=norm),
            "distribution": norm
            and charts.histogram(
                selectors.score_bands(norm, attempt.question_count),
                bin_edges=[i / 10 for i in range(11)],
                marker=attempt.score,
                marker_label=_("あなた"),
                title=_("受験者の得点分布"),
            ),
            "min_cohort": selectors.MIN_COHORT,
            "chance": selectors.chance_to_pass(attempt=attempt),
            "weakest": selectors.weakest_areas(areas),
            "drill": exam_selectors.drill_for(exam_id=attempt.blueprint.exam_id),
            "review_html": review_html(items),
            "priority": selectors.priority_review(items),
            "pace": pace,
            "radar": charts.radar_chart(
                [a.name for a in tops],
                [(_("今回"), [a.rate for a in tops])]
                + ([(_("前回"), [a.previous_rate for a in tops])] if previous else [])
                + [(_("受験者平均"), [a.cohort_rate for a in tops])],
                title=_("分野別の正答率"),
            ),
            "pace_chart": _pace_chart(pace),
        }
    return render(request, "analytics/attempt_result.html", context)


def _scoring_refresh(request) -> dict:
    """While scoring runs, the page reloads itself: after 2 s, then a little later each time (up to 15 s),
    with jitter, so 2,000 candidates who submit at the same deadline do not reload in step and crowd out
    the scoring they wait for."""
    wait = min(_int(request.GET.get("wait"), 0), 10)
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


# --- HR dashboard -----------------------------------------------------------------------------------------

PERIODS = (3, 6, 12, 24)  # months shown
MEMBERS_PER_PAGE = 50
READINESS_LABELS = {
    READY: gettext_lazy("合格圏"),
    CLOSE: gettext_lazy("あと少し"),
    NOT_YET: gettext_lazy("要強化"),
    NOT_TAKEN: gettext_lazy("未受験"),
}


@dataclass
class DashboardFilters:
    """What the HR manager chose, read from the query string; anything unknown falls back to a default."""

    exam: Exam
    exams: list
    months: int
    since: object
    department_id: int | None
    query: str
    readiness: str
    sort: str

    @classmethod
    def from_request(cls, request) -> "DashboardFilters":
        exams = org_selectors.exams_for_dashboard()
        # G検定 first: it is what most companies send their staff to.
        wanted = request.GET.get("exam", Exam.G_KENTEI)
        exam = next((e for e in exams if e.code == wanted), next((e for e in exams if e.code == Exam.G_KENTEI), None))
        exam = exam or (exams[0] if exams else None)
        if exam is None:
            raise Http404
        months = _int(request.GET.get("months"), 12)
        months = months if months in PERIODS else 12
        return cls(
            exam=exam, exams=exams, months=months, since=org_selectors.months_back(months),
            department_id=_int(request.GET.get("department"), None),
            query=request.GET.get("q", "").replace("\x00", "").strip()[:100],
            readiness=request.GET.get("readiness", "") if request.GET.get("readiness") in READINESS_LABELS else "",
            sort=request.GET.get("sort", "department") if request.GET.get("sort") in org_selectors.MEMBER_SORTS
            else "department",
        )  # fmt: skip


def _int(value, default):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if -(2**63) < number < 2**63 else default


def _members(membership, f: DashboardFilters):
    return org_selectors.member_table(
        organization_id=membership.organization_id, exam_id=f.exam.pk, department_id=f.department_id,
        query=f.query, readiness=f.readiness, sort=f.sort,
    )  # fmt: skip


@login_required
def org_dashboard(request):
    """HR: how ready the organization is, for one exam: KPIs, departments, months, a department × area
    heatmap and the member table. Only the asker's organization, only for HR managers and org admins."""
    membership = manager_membership(user=request.user)
    f = DashboardFilters.from_request(request)
    org_id = membership.organization_id
    total, departments = org_selectors.by_department(organization_id=org_id, exam_id=f.exam.pk)
    months = org_selectors.by_month(
        organization_id=org_id, exam_id=f.exam.pk, since=f.since, department_id=f.department_id
    )
    page = Paginator(_members(membership, f), MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    for member in page:
        member.readiness_label = READINESS_LABELS[readiness(member.latest_score, member.latest_pass_ratio)]
    return render(request, "analytics/org_dashboard.html", {
        "user_membership": membership, "organization": membership.organization, "f": f, "periods": PERIODS,
        "total": total, "departments": departments, "months": months,
        "trend_chart": charts.line_chart(
            [m.label[2:] for m in months],
            [(_("模試の合格率"), [m.attempt_pass_rate for m in months]),
             (_("本番の合格率"), [m.real_pass_rate for m in months]),
             (_("課題の完了率"), [m.completion for m in months])],
            title=_("月別の推移"),
        ),
        "heatmap": org_selectors.heatmap(organization_id=org_id, exam_id=f.exam.pk, since=f.since),
        "department_choices": org_selectors.departments(organization_id=org_id),
        "page": page, "readiness_labels": READINESS_LABELS, "sorts": SORT_LABELS,
    })  # fmt: skip


SORT_LABELS = {
    "department": gettext_lazy("部署順"),
    "name": gettext_lazy("氏名順"),
    "latest": gettext_lazy("最新得点の高い順"),
    "-latest": gettext_lazy("最新得点の低い順"),
    "best": gettext_lazy("最高得点の高い順"),
    "attempts": gettext_lazy("受験回数の多い順"),
    "real": gettext_lazy("本番合格者を先に"),
}
CSV_VIEWS = ("departments", "months", "heatmap", "members")


@login_required
def org_dashboard_csv(request, view):
    """Each dashboard view as CSV, UTF-8 with a BOM so Excel opens the Japanese correctly. The member
    table streams, so 100,000 members do not sit in memory."""
    if view not in CSV_VIEWS:
        raise Http404
    membership = manager_membership(user=request.user)
    f = DashboardFilters.from_request(request)
    rows = _csv_rows(view, membership, f)
    response = StreamingHttpResponse(_csv_stream(rows), content_type="text/csv; charset=utf-8")
    filename = f"moshi-{view}-{f.exam.code}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _inert(value):
    """A cell Excel will not run: text that starts like a formula (=, +, -, @) gets a leading apostrophe,
    so a member named "=HYPERLINK(…)" stays text in HR's spreadsheet."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_stream(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for row in rows:
        writer.writerow([_inert(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _number(rate) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def _csv_rows(view: str, membership, f: DashboardFilters):
    org_id = membership.organization_id
    if view in ("departments", "months"):
        header = [_("部署") if view == "departments" else _("月"), _("メンバー"), _("模試受験者"), _("受験率(%)"),
                  _("最新模試の合格率(%)"), _("模試受験数"), _("模試合格率(%)"), _("平均得点(%)"), _("本番受験"),
                  _("本番合格"), _("本番合格率(%)"), _("課題対象"), _("課題完了"), _("課題完了率(%)")]  # fmt: skip
        if view == "departments":
            total, lines = org_selectors.by_department(organization_id=org_id, exam_id=f.exam.pk)
            total.label = _("組織全体")
            lines = [*lines, total]
        else:
            lines = org_selectors.by_month(
                organization_id=org_id, exam_id=f.exam.pk, since=f.since, department_id=f.department_id
            )
        yield header
        for x in lines:
            yield [x.label, x.members if view == "departments" else "", x.took_mock if view == "departments" else "",
                   _number(x.took_rate), _number(x.latest_pass_rate), x.attempts, _number(x.attempt_pass_rate),
                   _number(x.mean_score), x.real_taken, x.real_passed, _number(x.real_pass_rate), x.targets, x.done,
                   _number(x.completion)]  # fmt: skip
    elif view == "heatmap":
        heat = org_selectors.heatmap(organization_id=org_id, exam_id=f.exam.pk, since=f.since)
        yield [_("部署"), *[f"{a.code} {a.name} (%)" for a in heat.areas]]
        for name, rates, _totals in heat.rows:
            yield [name, *map(_number, rates)]
        yield [_("組織全体"), *map(_number, heat.organization)]
    else:
        yield [_("社員番号"), _("氏名"), _("メールアドレス"), _("部署"), _("模試受験回数"), _("最新得点(%)"),
               _("最新の受験日"), _("最高得点(%)"), _("準備状況"), _("本番（最新）"), _("本番の回")]  # fmt: skip
        for m in _members(membership, f).iterator(chunk_size=2000):
            real = "" if m.real_passed is None else (_("合格") if m.real_passed else _("不合格"))
            taken_on = f"{timezone.localtime(m.latest_at):%Y-%m-%d}" if m.latest_at else ""
            state = READINESS_LABELS[readiness(m.latest_score, m.latest_pass_ratio)]
            yield [m.employee_code, m.user.display_name, m.user.email, m.department.name if m.department else "",
                   m.attempts or 0, _number(m.latest_score), taken_on, _number(m.best_score), state, real,
                   m.real_session or ""]  # fmt: skip
