"""The HR dashboard (/org/dashboard/) and its CSV exports."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from audit.services import Action, record
from common.charts import line_chart
from common.csv_export import csv_response
from common.http import parse_int
from common.replica import replica_reads
from organizations.selectors import manager_membership
from questions.models import Exam

from . import reports
from .models import CLOSE, NOT_TAKEN, NOT_YET, READY, readiness

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
        exams = reports.exams_for_dashboard()
        # G検定 first: it is what most companies send their staff to.
        wanted = request.GET.get("exam", Exam.G_KENTEI)
        exam = next((e for e in exams if e.code == wanted), next((e for e in exams if e.code == Exam.G_KENTEI), None))
        exam = exam or (exams[0] if exams else None)
        if exam is None:
            raise Http404
        months = parse_int(request.GET.get("months"))
        months = months if months in PERIODS else 12
        return cls(
            exam=exam,
            exams=exams,
            months=months,
            since=reports.months_back(months),
            department_id=parse_int(request.GET.get("department")),
            query=request.GET.get("q", "").replace("\x00", "").strip()[:100],
            readiness=request.GET.get("readiness", "") if request.GET.get("readiness") in READINESS_LABELS else "",
            sort=request.GET.get("sort", "department")
            if request.GET.get("sort") in reports.MEMBER_SORTS
            else "department",
        )


def _members(membership, f: DashboardFilters):
    return reports.member_table(
        organization_id=membership.organization_id,
        exam_id=f.exam.pk,
        department_id=f.department_id,
        query=f.query,
        readiness=f.readiness,
        sort=f.sort,
    )


@never_cache
@login_required
def org_dashboard(request):
    """HR: how ready the organization is, for one exam: KPIs, departments, months, a department × area
    heatmap and the member table. Only the asker's organization, only for HR managers and org admins."""
    membership = manager_membership(user=request.user)
    # Who may look was settled on the primary; the figures are stored aggregates, read from the replica if any.
    with replica_reads():
        f = DashboardFilters.from_request(request)
        org_id = membership.organization_id
        total, departments = reports.by_department(organization_id=org_id, exam_id=f.exam.pk)
        months = reports.by_month(
            organization_id=org_id, exam_id=f.exam.pk, since=f.since, department_id=f.department_id
        )
        page = Paginator(_members(membership, f), MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
        record(
            organization_id=org_id,
            action=Action.DASHBOARD_VIEW,
            actor=request.user,
            details={**_audited_filters(f), "page": page.number},
        )
        for member in page:
            member.readiness_label = READINESS_LABELS[
                readiness(member.latest_score, member.latest_pass_ratio, member.pass_probability)
            ]
        return render(
            request,
            "hr/dashboard.html",
            {
                "user_membership": membership,
                "organization": membership.organization,
                "f": f,
                "periods": PERIODS,
                "total": total,
                "departments": departments,
                "months": months,
                "trend_chart": _trend_chart(months),
                "heatmap": reports.heatmap(organization_id=org_id, exam_id=f.exam.pk, since=f.since),
                "weak_areas": reports.weak_areas(
                    organization_id=org_id, exam_code=f.exam.code, since=f.since, department_id=f.department_id
                ),
                "min_answers": reports.MIN_ANSWERS,
                "weak_below": reports.WEAK_BELOW,
                "department_choices": reports.departments(organization_id=org_id),
                "page": page,
                "readiness_labels": READINESS_LABELS,
                "sorts": SORT_LABELS,
                "sitting_days": reports.SITTING_WINDOW.days,
            },
        )


def _trend_chart(months: list[reports.Figures]):
    """The months as a line chart: a month without figures is a gap in its line, never a 0%, and the months
    before the first and after the last with any figure are left out (the table below still lists them)."""
    series = [
        (_("模試の合格率"), [m.attempt_pass_rate for m in months]),
        (_("本番の合格率"), [m.real_pass_rate for m in months]),
        (_("課題の完了率"), [m.completion for m in months]),
    ]
    shown = [i for i in range(len(months)) if any(values[i] is not None for _name, values in series)]
    if not shown:
        return None
    first, last = shown[0], shown[-1] + 1
    return line_chart(
        [m.label[2:] for m in months[first:last]],
        [(name, values[first:last]) for name, values in series],
        title=_("月別の推移"),
    )


SORT_LABELS = {
    "department": gettext_lazy("部署順"),
    "name": gettext_lazy("氏名順"),
    "latest": gettext_lazy("最新得点の高い順"),
    "-latest": gettext_lazy("最新得点の低い順"),
    "best": gettext_lazy("最高得点の高い順"),
    "attempts": gettext_lazy("受験回数の多い順"),
    "real": gettext_lazy("本番合格者を先に"),
    "chance": gettext_lazy("合格可能性の高い順"),
    "-chance": gettext_lazy("合格可能性の低い順"),
}
CSV_VIEWS = ("departments", "months", "heatmap", "members")


@never_cache
@login_required
def org_dashboard_csv(request, view):
    """Each dashboard view as CSV, UTF-8 with a BOM so Excel opens the Japanese correctly. The member
    table streams, so 100,000 members do not sit in memory."""
    if view not in CSV_VIEWS:
        raise Http404
    membership = manager_membership(user=request.user)
    f = DashboardFilters.from_request(request)
    record(
        organization_id=membership.organization_id,
        action=Action.CSV_EXPORT,
        actor=request.user,
        details={"view": view, **_audited_filters(f)},
    )
    rows = _csv_rows(view, membership, f)
    return csv_response(rows, f"moshi-{view}-{f.exam.code}-{timezone.localdate():%Y%m%d}.csv")


def _audited_filters(f: DashboardFilters) -> dict:
    """What the HR manager asked for, as the audit log keeps it."""
    return {
        "exam": f.exam.code,
        "months": f.months,
        "department": f.department_id,
        "q": f.query,
        "readiness": f.readiness,
    }


def _number(rate) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def _expected(figures) -> list:
    """Members expected to sit the next real exam, and the expected passes among them with its 80% interval."""
    if figures.expected_passes is None:
        return [figures.sitting, "", "", ""]
    return [figures.sitting, *(f"{n:.1f}" for n in figures.expected_passes)]


def _csv_rows(view: str, membership, f: DashboardFilters):
    org_id = membership.organization_id
    if view in ("departments", "months"):
        header = [
            _("部署") if view == "departments" else _("月"),
            _("メンバー"),
            _("模試受験者"),
            _("受験率(%)"),
            _("最新模試の合格率(%)"),
            _("模試受験数"),
            _("模試合格率(%)"),
            _("平均得点(%)"),
            _("本番受験"),
            _("本番合格"),
            _("本番合格率(%)"),
            _("課題対象"),
            _("課題完了"),
            _("課題完了率(%)"),
            _("次回本番の受験見込み"),
            _("次回本番の合格見込み"),
            _("合格見込み 80%下限"),
            _("合格見込み 80%上限"),
        ]
        if view == "departments":
            total, lines = reports.by_department(organization_id=org_id, exam_id=f.exam.pk)
            total.label = _("組織全体")
            lines = [*lines, total]
        else:
            lines = reports.by_month(
                organization_id=org_id, exam_id=f.exam.pk, since=f.since, department_id=f.department_id
            )
        yield header
        for x in lines:
            yield [
                x.label,
                x.members if view == "departments" else "",
                x.took_mock if view == "departments" else "",
                _number(x.took_rate),
                _number(x.latest_pass_rate),
                x.attempts,
                _number(x.attempt_pass_rate),
                _number(x.mean_score),
                x.real_taken,
                x.real_passed,
                _number(x.real_pass_rate),
                x.targets,
                x.done,
                _number(x.completion),
                *(_expected(x) if view == "departments" else ["", "", "", ""]),
            ]
    elif view == "heatmap":
        heat = reports.heatmap(organization_id=org_id, exam_id=f.exam.pk, since=f.since)
        yield [_("部署"), *[f"{a.code} {a.name} (%)" for a in heat.areas]]
        for row in heat.rows:
            yield [row.name, *map(_number, row.rates)]
        yield [_("組織全体"), *(_number(c.rate) for c in heat.organization)]
    else:
        yield [
            _("社員番号"),
            _("氏名"),
            _("メールアドレス"),
            _("部署"),
            _("模試受験回数"),
            _("最新得点(%)"),
            _("最新の受験日"),
            _("最高得点(%)"),
            _("準備状況"),
            _("本番の合格可能性(%)"),
            _("合格可能性 80%下限(%)"),
            _("合格可能性 80%上限(%)"),
            _("本番（最新）"),
            _("本番の回"),
        ]
        for m in _members(membership, f).iterator(chunk_size=2000):
            real = "" if m.real_passed is None else (_("合格") if m.real_passed else _("不合格"))
            taken_on = f"{timezone.localtime(m.latest_at):%Y-%m-%d}" if m.latest_at else ""
            state = READINESS_LABELS[readiness(m.latest_score, m.latest_pass_ratio, m.pass_probability)]
            yield [
                m.employee_code,
                m.shown_name if m.is_anonymized else m.user.display_name,
                m.shown_email,
                m.department.name if m.department else "",
                m.attempts or 0,
                _number(m.latest_score),
                taken_on,
                _number(m.best_score),
                state,
                _number(m.pass_probability),
                _number(m.pass_low),
                _number(m.pass_high),
                real,
                m.real_session or "",
            ]
