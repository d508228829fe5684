"""Reads for HR: an organization's readiness and pass rates, by department, month and syllabus area, and
its member table. The HR dashboard, its CSV exports and the REST API all call these, always with the
asker's organization id, so nothing here can reach another organization's rows.

Mock figures come from the aggregates that hr.aggregates keeps (full forms only, drills
excluded); member counts, real results and assignments are read live. Each function runs a fixed number
of queries, whatever the number of members or attempts."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, Exists, F, FilteredRelation, FloatField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from common import irt
from exams.models import Blueprint
from organizations.models import Department, Membership
from organizations.selectors import member_search
from questions.models import Exam, SyllabusArea

from .models import (
    CLOSE,
    NOT_TAKEN,
    NOT_YET,
    READY,
    Assignment,
    MemberExamStat,
    OrgAreaStat,
    OrgMonthStat,
    readiness_filter,
)
from .selectors import assignment_completion, organization_real_results

NO_DEPARTMENT = 0  # the key of members without a department in tables keyed by department id
NO_DEPARTMENT_LABEL = gettext_lazy("（部署なし）")
# Who is expected to sit the next real exam: members whose latest full mock is this recent and who have not yet
# passed it (docs/organizations.md).
SITTING_WINDOW = timedelta(days=180)


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
    # The next real exam: members expected to sit it, and sums over their pass probabilities from which the
    # expected passes and its 80% interval follow (common.irt.expected_passes; sums, so lines add up).
    sitting: int = 0
    pass_probability_sum: float = 0.0
    bernoulli_variance: float = 0.0
    interval_width_sum: float = 0.0

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

    @property
    def expected_passes(self) -> tuple[float, float, float] | None:
        """(expected, low, high) passes at the next real exam among those expected to sit it."""
        if not self.sitting:
            return None
        return irt.expected_passes(
            self.sitting, self.pass_probability_sum, self.bernoulli_variance, self.interval_width_sum
        )

    def add(self, other: "Figures") -> None:
        for name in (
            "members",
            "took_mock",
            "latest_passed",
            "attempts",
            "attempts_passed",
            "score_sum",
            "real_taken",
            "real_passed",
            "targets",
            "done",
            "sitting",
            "pass_probability_sum",
            "bernoulli_variance",
            "interval_width_sum",
        ):
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
    for department_id, sitting, p_sum, variance, width in _next_sitting(organization_id, exam_id):
        row = line(department_id)
        row.sitting, row.pass_probability_sum = sitting, p_sum
        row.bernoulli_variance, row.interval_width_sum = variance, width
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
        LEFT JOIN {MemberExamStat._meta.db_table} s
          ON s.user_id = m.user_id AND s.organization_id = m.organization_id AND s.exam_id = %s
        WHERE m.organization_id = %s AND m.is_active
        GROUP BY m.department_id
    """  # noqa: S608 - table names come from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [exam_id, organization_id])
        return cursor.fetchall()


def _next_sitting(organization_id: int, exam_id: int, *, now=None):
    """Per department, the members expected to sit the next real exam (a full mock within SITTING_WINDOW, not
    yet passed for real) and the sums over their latest pass probabilities: one query."""
    since = (now or timezone.now()) - SITTING_WINDOW
    passed = organization_real_results(organization_id=organization_id).filter(
        user_id=OuterRef("user_id"), exam_id=exam_id, passed=True
    )
    p, low, high = (F(f"stat__latest_pass_{name}") for name in ("probability", "low", "high"))
    return (
        Membership.objects.filter(organization_id=organization_id, is_active=True)
        .annotate(stat=_member_stat(organization_id, exam_id))
        .filter(stat__latest_pass_probability__isnull=False, stat__latest_at__gte=since)
        .filter(~Exists(passed))
        .values("department_id")
        .annotate(
            sitting=Count("pk"),
            p_sum=Sum(p),
            variance=Sum(p * (1 - p), output_field=FloatField()),
            width=Sum(high - low, output_field=FloatField()),
        )
        .values_list("department_id", "sitting", "p_sum", "variance", "width")
        .order_by()
    )


def _member_stat(organization_id: int, exam_id: int) -> FilteredRelation:
    """A member's MemberExamStat for the exam in the organization, joined as `stat`."""
    return FilteredRelation(
        "user__exam_stats",
        condition=Q(user__exam_stats__exam_id=exam_id, user__exam_stats__organization_id=organization_id),
    )


def _real_results(organization_id: int, exam_id: int):
    """Real results the organization may see (exams.selectors.organization_real_results) of its active
    members, with the membership joined as `member` (so they group by `member__department_id`)."""
    return organization_real_results(organization_id=organization_id).filter(exam_id=exam_id, member__is_active=True)


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


# An area's rate on fewer answers than this moves by 5 points or more with a single answer: too thin to call a
# department weak in it, or to send it to a drill.
MIN_ANSWERS = 20
WEAK_AREAS_PER_DEPARTMENT = 3
# A heatmap cell below the pass line (Moshi's 目安, as everywhere) on enough answers offers a drill assignment.
WEAK_BELOW = Blueprint.DEFAULT_PASS_RATIO


@dataclass
class HeatCell:
    area: SyllabusArea
    rate: float | None
    total: int  # answers the rate rests on
    weak: bool = False  # a department's cell HR can send to a drill


@dataclass
class HeatRow:
    department_id: int  # NO_DEPARTMENT for members without one
    name: str
    cells: list[HeatCell]

    @property
    def rates(self) -> list[float | None]:
        return [c.rate for c in self.cells]


@dataclass
class Heatmap:
    areas: list[SyllabusArea]
    rows: list[HeatRow]
    organization: list[HeatCell] = field(default_factory=list)


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

    def cell(department_id, area: SyllabusArea) -> HeatCell:
        correct, total = sums.get((department_id, area.pk), (0, 0))
        rate = _rate(correct, total)
        weak = department_id not in (None, NO_DEPARTMENT) and total >= MIN_ANSWERS and rate < WEAK_BELOW
        return HeatCell(area, rate, total, weak)

    names = [(d.pk, d.name) for d in departments(organization_id=organization_id)] + [
        (NO_DEPARTMENT, str(NO_DEPARTMENT_LABEL))
    ]
    rows = [
        HeatRow(department_id, name, [cell(department_id, a) for a in areas])
        for department_id, name in names
        if any((department_id, a.pk) in sums for a in areas)
    ]
    return Heatmap(areas, rows, [cell(None, a) for a in areas])


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
    *,
    organization_id: int,
    exam_code: str,
    since: date | None = None,
    department_id: int | None = None,
    leaves: bool = False,
) -> list[Weakness]:
    """Per department and syllabus area (top level, or leaves): correct rate beside the organization's,
    weakest first within each department."""
    stats = OrgAreaStat.objects.filter(
        organization_id=organization_id,
        area__exam__code=exam_code,
        area__in_syllabus=True,
        area__parent__isnull=not leaves,
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


@dataclass
class DepartmentWeakAreas:
    department_id: int | None  # None: members without a department (no department to assign to)
    department: str
    areas: list[Weakness]  # the weakest first, each on at least MIN_ANSWERS answers
    thin: int  # areas left out for resting on fewer answers

    @property
    def area_codes(self) -> list[str]:
        return [w.area_code for w in self.areas]


def weak_areas(
    *,
    organization_id: int,
    exam_code: str,
    since: date | None = None,
    department_id: int | None = None,
    per_department: int = WEAK_AREAS_PER_DEPARTMENT,
) -> list[DepartmentWeakAreas]:
    """Per department, its weakest syllabus leaves (where a drill helps most) beside the organization's rate,
    leaving out areas with fewer than MIN_ANSWERS answers. One query, whatever the number of departments."""
    result: dict[int | None, DepartmentWeakAreas] = {}
    for w in weaknesses(
        organization_id=organization_id, exam_code=exam_code, since=since, department_id=department_id, leaves=True
    ):
        line = result.setdefault(w.department_id, DepartmentWeakAreas(w.department_id, w.department, [], 0))
        if w.total < MIN_ANSWERS:
            line.thin += 1
        elif len(line.areas) < per_department:
            line.areas.append(w)
    # Departments by name as everywhere on the dashboard, members without one last.
    return sorted(result.values(), key=lambda d: (d.department_id is None, d.department))


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
    *,
    organization_id: int,
    group_by: list[str],
    exam_code: str | None = None,
    blueprint: str | None = None,
    department_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[PassRate]:
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


READINESS_LEVELS = (READY, CLOSE, NOT_YET, NOT_TAKEN)
MEMBER_SORTS = {
    "name": ("user__display_name", "pk"),
    "department": ("department__name", "user__display_name", "pk"),
    "latest": (F("stat__latest_score").desc(nulls_last=True), "pk"),
    "-latest": (F("stat__latest_score").asc(nulls_first=True), "pk"),
    "best": (F("stat__best_score").desc(nulls_last=True), "pk"),
    "attempts": (F("stat__attempts").desc(nulls_last=True), "pk"),
    "real": (F("real_passed").desc(nulls_last=True), "pk"),
    "chance": (F("stat__latest_pass_probability").desc(nulls_last=True), "pk"),
    "-chance": (F("stat__latest_pass_probability").asc(nulls_first=True), "pk"),
}


def member_table(
    *,
    organization_id: int,
    exam_id: int,
    department_id: int | None = None,
    query: str = "",
    readiness: str = "",
    sort: str = "department",
):
    """Active members with their mock record for the exam (attempts, latest and best score, readiness) and
    their latest real result; filterable and sortable in SQL, so a page of it costs the same for any size."""
    latest_real = (
        organization_real_results(organization_id=organization_id)
        .filter(user_id=OuterRef("user_id"), exam_id=exam_id)
        .order_by("-taken_on", "-pk")
    )
    members = (
        Membership.objects.filter(organization_id=organization_id, is_active=True)
        .annotate(
            stat=_member_stat(organization_id, exam_id),
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
            pass_probability=F("stat__latest_pass_probability"),
            pass_low=F("stat__latest_pass_low"),
            pass_high=F("stat__latest_pass_high"),
        )
    )
    if department_id is not None:
        members = members.filter(department_id=department_id or None)
    if query:
        members = members.filter(member_search(query))
    if readiness in READINESS_LEVELS:
        members = members.filter(readiness_filter(readiness, "stat"))
    return members.order_by(*MEMBER_SORTS.get(sort, MEMBER_SORTS["department"]))
