"""Reads of the company side: assignments and their completion, real exam results."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from exams.models import FINISHED, Attempt, AttemptItem
from exams.selectors import of_members
from organizations.models import Membership, sql_membership_window
from questions.models import SyllabusArea

from .models import Assignment, ExamSession, RealResult, ReminderSettings

# --- When an assignment is done: one rule, in the ORM (for a page of people) and in SQL (for counting them all)
# An assignment is done by an active member with their first submitted or scored attempt of its blueprint
# started since it opened and since they joined (what they did before joining is not the organization's), which
# covers the assignment's drill areas: each area it names (none for a full mock) has a question of the attempt in
# it or, for a top-level area, under it. A drill on other areas is practice, not the assignment. On time if
# submitted before the due date. Active members have no left_at, so the membership window is joined_at ≤
# started_at. test_rules_agree checks the two renderings agree.

DONE_STATUSES = list(FINISHED)


def _first_done_at(*, assignment_id, user_id, blueprint_id, opens_at, joined_at):
    """When the member submitted their first attempt that counts (a subquery; arguments are values or
    OuterRefs)."""
    return Subquery(
        Attempt.objects.filter(
            user_id=user_id, blueprint_id=blueprint_id, status__in=DONE_STATUSES, started_at__gte=opens_at
        )
        .filter(started_at__gte=joined_at)
        .filter(_covers_drill_areas(assignment_id))
        .order_by("submitted_at")
        .values("submitted_at")[:1]
    )


def _covers_drill_areas(assignment_id):
    """No area of the assignment is left without a question of the attempt (the filtered Attempt's pk). The
    areas are read one subquery further in than the attempt, so an OuterRef to the assignment goes one level out."""
    if isinstance(assignment_id, OuterRef):
        assignment_id = OuterRef(assignment_id)
    area = OuterRef("syllabusarea_id")
    in_area = AttemptItem.objects.filter(attempt_id=OuterRef(OuterRef("pk"))).filter(
        Q(area_id=area) | Q(area__parent_id=area)
    )
    uncovered = Assignment.drill_areas.through.objects.filter(assignment_id=assignment_id).filter(~Exists(in_area))
    return ~Exists(uncovered)


def _sql_first_done_at(attempt: str, target: str) -> str:
    """_first_done_at in SQL: `target` has assignment_id, user_id, blueprint_id, opens_at, joined_at and left_at
    columns."""
    areas, item, area = (m._meta.db_table for m in (Assignment.drill_areas.through, AttemptItem, SyllabusArea))
    return f"""(SELECT MIN({attempt}.submitted_at) FROM {Attempt._meta.db_table} {attempt}
                WHERE {attempt}.user_id = {target}.user_id AND {attempt}.blueprint_id = {target}.blueprint_id
                  AND {attempt}.status IN ({", ".join(f"'{s}'" for s in DONE_STATUSES)})
                  AND {attempt}.started_at >= {target}.opens_at
                  AND {sql_membership_window(target, f"{attempt}.started_at")}
                  AND NOT EXISTS (
                    SELECT 1 FROM {areas} {attempt}_x WHERE {attempt}_x.assignment_id = {target}.assignment_id
                      AND NOT EXISTS (
                        SELECT 1 FROM {item} {attempt}_i JOIN {area} {attempt}_s ON {attempt}_s.id = {attempt}_i.area_id
                        WHERE {attempt}_i.attempt_id = {attempt}.id
                          AND ({attempt}_i.area_id = {attempt}_x.syllabusarea_id
                               OR {attempt}_s.parent_id = {attempt}_x.syllabusarea_id))))"""  # noqa: S608 - no input


def organization_real_results(*, organization_id: int):
    """Real exam results the organization may see: those its members recorded while they were members (a
    result brought from a former organization was recorded there, before joining)."""
    return of_members(RealResult.objects.all(), organization_id=organization_id, moment="created_at")


def assignment_targets(*, assignment: Assignment):
    """Active members the assignment is for (its departments' members and the members named), each with
    `done_at`: when they submitted the first attempt that counts, or None."""
    return (
        Membership.objects.filter(organization_id=assignment.organization_id, is_active=True)
        .filter(Q(department__in=assignment.departments.all()) | Q(pk__in=assignment.members.all()))
        .annotate(
            done_at=_first_done_at(
                assignment_id=assignment.pk,
                user_id=OuterRef("user_id"),
                blueprint_id=assignment.blueprint_id,
                opens_at=assignment.opens_at,
                joined_at=OuterRef("joined_at"),
            )
        )
        .select_related("user", "department")
        .order_by("department__name", "user__display_name", "pk")
    )


@dataclass
class Completion:
    """How many of an assignment's members in one department have done it (and done it by the due date)."""

    assignment_id: int
    department_id: int | None
    targets: int
    done: int
    done_on_time: int


def assignment_completion(*, organization_id: int, assignment_ids: list[int] | None = None) -> list[Completion]:
    """Completion of the organization's assignments per department, counted in one SQL statement whatever
    the number of assignments and members. A member is a target once, whether through a department or by
    name; done is the rule above."""
    if assignment_ids is not None and not assignment_ids:
        return []  # nothing to count (and an empty IN list would make a poor plan)
    membership = Membership._meta.db_table
    assignment = Assignment._meta.db_table
    by_department = Assignment.departments.through._meta.db_table
    by_name = Assignment.members.through._meta.db_table
    only = f"AND a.id IN ({', '.join(['%s'] * len(assignment_ids))})" if assignment_ids is not None else ""
    sql = f"""
        WITH targets AS (
            SELECT a.id AS assignment_id, m.department_id, m.user_id, a.blueprint_id, a.opens_at, a.due_at,
                   m.joined_at, m.left_at
            FROM {assignment} a
            JOIN {membership} m ON m.organization_id = a.organization_id AND m.is_active
            WHERE a.organization_id = %s {only}
              AND (m.department_id IN (SELECT d.department_id FROM {by_department} d WHERE d.assignment_id = a.id)
                   OR m.id IN (SELECT n.membership_id FROM {by_name} n WHERE n.assignment_id = a.id))
        ), firsts AS (
            SELECT t.assignment_id, t.department_id, {_sql_first_done_at("e", "t")} AS done_at, t.due_at
            FROM targets t
        )
        SELECT assignment_id, department_id, COUNT(*),
               SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN done_at < due_at THEN 1 ELSE 0 END)
        FROM firsts GROUP BY assignment_id, department_id
    """  # noqa: S608 - table names come from the models; every value is a parameter
    params = [organization_id, *(assignment_ids or [])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Completion(*row) for row in cursor.fetchall()]


def organization_assignments(*, organization_id: int):
    return (
        Assignment.objects.filter(organization_id=organization_id)
        .select_related("blueprint")
        .prefetch_related("departments", "members", "drill_areas")
    )


def with_completion(organization_id: int, assignments: list[Assignment]) -> list[Assignment]:
    """Each assignment with `targets`, `done` and `done_on_time` summed over its departments (one query)."""
    totals = {a.pk: [0, 0, 0] for a in assignments}
    for c in assignment_completion(organization_id=organization_id, assignment_ids=list(totals)):
        row = totals[c.assignment_id]
        row[0], row[1], row[2] = row[0] + c.targets, row[1] + c.done, row[2] + c.done_on_time
    for a in assignments:
        a.targets, a.done, a.done_on_time = totals[a.pk]
    return assignments


def assignments_of(*, organization_id: int, only: list[int] | None = None) -> list[Assignment]:
    """The organization's assignments, latest due first, each with its completion."""
    assignments = organization_assignments(organization_id=organization_id)
    if only is not None:
        assignments = assignments.filter(pk__in=only)
    return with_completion(organization_id, list(assignments.order_by("-due_at", "-pk")))


def assignment_of(*, organization_id: int, assignment_id: int) -> Assignment:
    return get_object_or_404(
        Assignment.objects.select_related("blueprint"), pk=assignment_id, organization_id=organization_id
    )


@dataclass
class MyAssignment:
    assignment: Assignment
    done_at: object  # datetime | None

    @property
    def overdue(self) -> bool:
        return self.done_at is None and timezone.now() >= self.assignment.due_at


def assignments_for(*, user) -> list[MyAssignment]:
    """What the user's organization has asked them to take: open ones and those done in the last 30 days."""
    membership = Membership.objects.filter(user=user, is_active=True).order_by("joined_at").first()
    if membership is None:
        return []
    rows = (
        Assignment.objects.filter(organization_id=membership.organization_id)
        .filter(Q(members=membership) | (Q(departments=membership.department_id) if membership.department_id else Q()))
        .distinct()
        .annotate(
            done_at=_first_done_at(
                assignment_id=OuterRef("pk"),
                user_id=user.pk,
                blueprint_id=OuterRef("blueprint_id"),
                opens_at=OuterRef("opens_at"),
                joined_at=membership.joined_at,
            )
        )
        .select_related("blueprint")
        .prefetch_related("drill_areas")
        .order_by("due_at")
    )
    recent = timezone.now() - timedelta(days=30)
    return [MyAssignment(a, a.done_at) for a in rows if a.done_at is None or a.done_at >= recent]


def real_results_of(*, user):
    return RealResult.objects.filter(user=user).select_related("exam").order_by("-taken_on", "-pk")


def exam_sessions_held(*, day):
    """The real exam sessions held by `day`, newest first within each exam: what a result is recorded for."""
    return ExamSession.objects.held_by(day).select_related("exam").order_by("exam__order", "exam__code", "-held_on")


def reminder_settings_of(*, organization_id: int) -> ReminderSettings:
    """The organization's reminder settings; an organization that never saved them has the defaults (off)."""
    return ReminderSettings.objects.filter(organization_id=organization_id).first() or ReminderSettings(
        organization_id=organization_id
    )
