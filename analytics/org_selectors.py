"""Reads for HR: an organization's readiness and pass rates, by department, month and syllabus area, and
its member table. The HR dashboard, its CSV exports and the REST API all call these, always with the
asker's organization id, so nothing here can reach another organization's rows.

Mock figures come from the aggregates that services.org_stats_refresh keeps (full forms only, drills
excluded); member counts, real results and assignments are read live. Each function runs a fixed number
of queries, whatever the number of members or attempts."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Count, F, FilteredRelation, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import Department, Membership
from accounts.selectors import member_search
from exams.models import Assignment, RealResult
from exams.selectors import assignment_completion
from questions.models import Exam, SyllabusArea

from .models import CLOSE, CLOSE_MARGIN, NOT_TAKEN, NOT_YET, READY, MemberExamStat, OrgAreaStat, OrgMonthStat

NO_DEPARTMENT = 0  # the key of members without a department in tables keyed by department id
NO_DEPARTMENT_LABEL = gettext_lazy("（部署なし）")


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class Figures:
    """One line of the dashboard: the organization, a department or a month."""

    key: object  # department id, a month's first day, or None for the organization
    label: str
    members: int = 0
    took_mock: int = 0  # members with at least one full-form mock of the exam
    latest_passed: int = 0  # of those, members whose latest mock passed
    attempts: int = 0  # full-form mocks taken (in the month)
    attempts_passed: int = 0
    score_sum: float = 0.0
    real_taken: int = 0  # real exam results recorded
    real_passed: int = 0
    targets: int = 0  # assignment targets (due in the month)
    done: int = 0

    @property
    def took_rate(self) -> float | None:
        return _rate(self.took_mock, self.members)

    @property
    def latest_pass_rate(self) -> float | None:
        return _rate(self.latest_passed, self.took_mock)

    @property
    def attempt_pass_rate(self) -> float | None:
        return _rate(self.attempts_passed, self.attempts)

    @property
    def mean_score(self) -> float | None:
        return _rate(self.score_sum, self.attempts)

    @property
    def real_pass_rate(self) -> float | None:
        return _rate(self.real_passed, self.real_taken)

    @property
    def completion(self) -> float | None:
        return _rate(self.done, self.targets)

    def add(self, other: "Figures") -> None:
        for name in ("members", "took_mock", "latest_passed", "attempts", "attempts_passed", "score_sum",
                     "real_taken", "real_passed", "targets", "done"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))


def exams_for_dashboard() -> list[Exam]:
    return list(Exam.objects.all())


def departments(*, organization_id: int) -> list[Department]:
    return list(Department.objects.filter(organization_id=organization_id).order_by("name"))


def by_department(*, organization_id: int, exam_id: int) -> tuple[Figures, list[Figures]]:
    """The organization's figures and one line per department (members without one last)."""
    lines: dict[int, Figures] = {d.pk: Figures(d.pk, d.name) for d in departments(organization_id=organization_id)} | {
        NO_DEPARTMENT: Figures(NO_DEPARTMENT, str(NO_DEPARTMENT_LABEL))
    }

    def line(department_id):
        return lines[department_id or NO_DEPARTMENT]

    for department_id, members, took, passed in _members_and_mocks(organization_id, exam_id):
        row = line(department_id)
        row.members, row.took_mock, row.latest_passed = members, took, passed
    for department_id, taken, passed in (
        _real_results(organization_id, exam_id)
        .values_list("member__department_id")
        .annotate(taken=Count("pk"), passed=Count("pk", filter=Q(passed=True)))
        .order_by()
    ):
        line(department_id).real_taken, line(department_id).real_passed = taken, passed
    for department_id, attempts, passed, score_sum in (
        OrgMonthStat.objects.filter(organization_id=organization_id, blueprint__exam_id=exam_id)
        .values_list("department_id")
        .annotate(Sum("attempts"), Sum("passed"), Sum("score_sum"))
        .order_by()
    ):
        row = line(department_id)
        row.attempts, row.attempts_passed, row.score_sum = attempts, passed, score_sum
    exam_assignments = set(
        Assignment.objects.filter(organization_id=organization_id, blueprint__exam_id=exam_id).values_list(
            "pk", flat=True
        )
    )
    for c in assignment_completion(organization_id=organization_id, assignment_ids=list(exam_assignments)):
        line(c.department_id).targets += c.targets
        line(c.department_id).done += c.done
    total = Figures(None, "")
    rows = list(lines.values())
    for row in rows:
        total.add(row)
    return total, [r for r in rows if r.key != NO_DEPARTMENT or r.members or r.attempts]


def _members_and_mocks(organization_id: int, exam_id: int) -> list[tuple]:
    """Per department: active members, how many took a mock of the exam, and whose latest one passed. In
    SQL joined on user_id directly (the ORM would join through the user table: twice the time at 100,000)."""
    sql = f"""
        SELECT m.department_id, COUNT(*), COUNT(s.id), COUNT(CASE WHEN s.latest_passed THEN 1 END)
        FROM {Membership._meta.db_table} m
        LEFT JOIN {MemberExamStat._meta.db_table} s ON s.user_id = m.user_id AND s.exam_id = %s
        WHERE m.organization_id = %s AND m.is_active
        GROUP BY m.department_id
    """  # noqa: S608 - table names come from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [exam_id, organization_id])
        return cursor.fetchall()


def _real_results(organization_id: int, exam_id: int):
    """Real results of the organization's active members, with the membership joined as `member` (so they
    group by `member__department_id`)."""
    return (
        RealResult.objects.filter(exam_id=exam_id)
        .annotate(
            member=FilteredRelation(
                "user__memberships",
                condition=Q(user__memberships__organization_id=organization_id, user__memberships__is_active=True),
            )
        )
        .filter(member__isnull=False)
    )


def by_month(*, organization_id: int, exam_id: int, since: date, department_id: int | None = None) -> list[Figures]:
    """One line per month from `since` to this month: mocks taken and passed, real results, and
    assignments due that month with their completion."""
    months = _months(since, timezone.localdate())
    lines = {m: Figures(m, f"{m:%Y-%m}") for m in months}
    stats = OrgMonthStat.objects.filter(organization_id=organization_id, blueprint__exam_id=exam_id, month__gte=since)
    real = _real_results(organization_id, exam_id).filter(taken_on__gte=since)
    if department_id is not None:
        stats = stats.filter(department_id=department_id or None)
        real = real.filter(member__department_id=department_id or None)
    for month, attempts, passed, score_sum in (
        stats.values_list("month").annotate(Sum("attempts"), Sum("passed"), Sum("score_sum")).order_by()
    ):
        if month in lines:
            lines[month].attempts, lines[month].attempts_passed, lines[month].score_sum = attempts, passed, score_sum
    for month, taken, passed in (
        real.annotate(m=TruncMonth("taken_on"))
        .values_list("m")
        .annotate(taken=Count("pk"), passed_count=Count("pk", filter=Q(passed=True)))
        .order_by()
    ):
        month = month.date() if hasattr(month, "date") else month
        if month in lines:
            lines[month].real_taken, lines[month].real_passed = taken, passed
    due_month = {
        a.pk: a.due_on.replace(day=1)
        for a in Assignment.objects.filter(organization_id=organization_id, blueprint__exam_id=exam_id)
    }
    for c in assignment_completion(organization_id=organization_id, assignment_ids=list(due_month)):
        if department_id is not None and (c.department_id or NO_DEPARTMENT) != department_id:
            continue
        month = due_month.get(c.assignment_id)
        if month in lines:
            lines[month].targets += c.targets
            lines[month].done += c.done
    return list(lines.values())


def _months(since: date, until: date) -> list[date]:
    months, month = [], since.replace(day=1)
    while month <= until:
        months.append(month)
        month = (month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    return months


def months_back(count: int) -> date:
    """The first day of the month `count - 1` months before this one (so `count` months in all)."""
    month = timezone.localdate().replace(day=1)
    for _ in range(count - 1):
        month = (month - timezone.timedelta(days=1)).replace(day=1)
    return month


@dataclass
class Heatmap:
    areas: list[SyllabusArea]
    rows: list[tuple[str, list[float | None], list[int]]]  # (department, rate per area, total per area)
    organization: list[float | None] = field(default_factory=list)


def top_areas(exam_id: int) -> list[SyllabusArea]:
    return list(SyllabusArea.objects.filter(exam_id=exam_id, parent=None, in_syllabus=True).order_by("order"))


def heatmap(*, organization_id: int, exam_id: int, since: date) -> Heatmap:
    """Correct rate per department and top-level syllabus area, for mocks started since `since`."""
    areas = top_areas(exam_id)
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for department_id, area_id, correct, total in (
        OrgAreaStat.objects.filter(organization_id=organization_id, area__in=areas, month__gte=since)
        .values_list("department_id", "area_id")
        .annotate(Sum("correct"), Sum("total"))
        .order_by()
    ):
        for key in ((department_id or NO_DEPARTMENT, area_id), (None, area_id)):
            sums[key][0] += correct
            sums[key][1] += total
    names = [(d.pk, d.name) for d in departments(organization_id=organization_id)] + [
        (NO_DEPARTMENT, str(NO_DEPARTMENT_LABEL))
    ]
    rows = []
    for department_id, name in names:
        cells = [sums.get((department_id, a.pk)) for a in areas]
        if any(cells):
            rows.append((name, [_rate(*c) if c else None for c in cells], [c[1] if c else 0 for c in cells]))
    organization = [_rate(*sums[(None, a.pk)]) if (None, a.pk) in sums else None for a in areas]
    return Heatmap(areas, rows, organization)


@dataclass
class Weakness:
    department_id: int | None
    department: str
    area_code: str
    area: str
    correct: int
    total: int
    organization_rate: float | None

    @property
    def rate(self) -> float | None:
        return _rate(self.correct, self.total)

    @property
    def gap(self) -> float | None:
        return None if self.rate is None or self.organization_rate is None else self.rate - self.organization_rate


def weaknesses(
    *, organization_id: int, exam_id: int, since: date | None = None, department_id: int | None = None,
    leaves: bool = False,
) -> list[Weakness]:  # fmt: skip
    """Per department and syllabus area (top level, or leaves): correct rate beside the organization's,
    weakest first within each department."""
    stats = OrgAreaStat.objects.filter(
        organization_id=organization_id, area__exam_id=exam_id, area__in_syllabus=True, area__parent__isnull=not leaves
    )
    if since:
        stats = stats.filter(month__gte=since)
    rows = list(
        stats.values_list("department_id", "department__name", "area__code", "area__name", "area__order")
        .annotate(Sum("correct"), Sum("total"))
        .order_by()
    )
    organization: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for *_, code, _name, _order, correct, total in rows:
        organization[code][0] += correct
        organization[code][1] += total
    result = [
        Weakness(d_id, d_name or str(NO_DEPARTMENT_LABEL), code, name, correct, total, _rate(*organization[code]))
        for d_id, d_name, code, name, _order, correct, total in rows
        if department_id is None or (d_id or NO_DEPARTMENT) == department_id
    ]
    return sorted(result, key=lambda w: (w.department, w.rate if w.rate is not None else 2.0, w.area_code))


PASS_RATE_GROUPS = ("department", "blueprint", "month")


@dataclass
class PassRate:
    department_id: int | None = None
    department: str | None = None
    blueprint: str | None = None
    month: str | None = None
    attempts: int = 0
    passed: int = 0
    score_sum: float = 0.0

    @property
    def pass_rate(self) -> float | None:
        return _rate(self.passed, self.attempts)

    @property
    def mean_score(self) -> float | None:
        return _rate(self.score_sum, self.attempts)


def pass_rates(
    *, organization_id: int, group_by: list[str], exam_code: str | None = None, blueprint: str | None = None,
    department_id: int | None = None, since: date | None = None, until: date | None = None,
) -> list[PassRate]:  # fmt: skip
    """Full-form mock attempts and passes grouped by any of department, blueprint and month."""
    stats = OrgMonthStat.objects.filter(organization_id=organization_id)
    if exam_code:
        stats = stats.filter(blueprint__exam__code=exam_code)
    if blueprint:
        stats = stats.filter(blueprint__slug=blueprint)
    if department_id is not None:
        stats = stats.filter(department_id=department_id or None)
    if since:
        stats = stats.filter(month__gte=since.replace(day=1))
    if until:
        stats = stats.filter(month__lte=until)
    columns = {
        "department": ["department_id", "department__name"],
        "blueprint": ["blueprint__slug"],
        "month": ["month"],
    }
    keys = [c for g in PASS_RATE_GROUPS if g in group_by for c in columns[g]]
    rows = stats.values_list(*keys).annotate(Sum("attempts"), Sum("passed"), Sum("score_sum")).order_by(*keys)
    result = []
    for row in rows:
        values = dict(zip(keys, row, strict=False))
        result.append(
            PassRate(
                department_id=values.get("department_id"),
                department=values.get("department__name"),
                blueprint=values.get("blueprint__slug"),
                month=f"{values['month']:%Y-%m}" if "month" in values else None,
                attempts=row[-3],
                passed=row[-2],
                score_sum=row[-1],
            )
        )
    return result


READINESS_FILTERS = {
    READY: Q(stat__latest_passed=True),
    CLOSE: Q(stat__latest_passed=False, stat__latest_score__gte=F("stat__latest_pass_ratio") - CLOSE_MARGIN),
    NOT_YET: Q(stat__latest_passed=False, stat__latest_score__lt=F("stat__latest_pass_ratio") - CLOSE_MARGIN),
    NOT_TAKEN: Q(stat__isnull=True),
}
MEMBER_SORTS = {
    "name": ("user__display_name", "pk"),
    "department": ("department__name", "user__display_name", "pk"),
    "latest": (F("stat__latest_score").desc(nulls_last=True), "pk"),
    "-latest": (F("stat__latest_score").asc(nulls_first=True), "pk"),
    "best": (F("stat__best_score").desc(nulls_last=True), "pk"),
    "attempts": (F("stat__attempts").desc(nulls_last=True), "pk"),
    "real": (F("real_passed").desc(nulls_last=True), "pk"),
}


def member_table(
    *, organization_id: int, exam_id: int, department_id: int | None = None, query: str = "",
    readiness: str = "", sort: str = "department",
):  # fmt: skip
    """Active members with their mock record for the exam (attempts, latest and best score, readiness) and
    their latest real result; filterable and sortable in SQL, so a page of it costs the same for any size."""
    latest_real = RealResult.objects.filter(user_id=OuterRef("user_id"), exam_id=exam_id).order_by("-taken_on", "-pk")
    members = (
        Membership.objects.filter(organization_id=organization_id, is_active=True)
        .annotate(
            stat=FilteredRelation("user__exam_stats", condition=Q(user__exam_stats__exam_id=exam_id)),
            real_passed=Subquery(latest_real.values("passed")[:1]),
            real_session=Subquery(latest_real.values("session")[:1]),
        )
        .select_related("user", "department")
        .annotate(
            attempts=F("stat__attempts"),
            latest_score=F("stat__latest_score"),
            latest_passed=F("stat__latest_passed"),
            latest_pass_ratio=F("stat__latest_pass_ratio"),
            latest_at=F("stat__latest_at"),
            best_score=F("stat__best_score"),
        )
    )
    if department_id is not None:
        members = members.filter(department_id=department_id or None)
    if query:
        members = members.filter(member_search(query))
    if readiness in READINESS_FILTERS:
        members = members.filter(READINESS_FILTERS[readiness])
    return members.order_by(*MEMBER_SORTS.get(sort, MEMBER_SORTS["department"]))
