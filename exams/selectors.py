"""Reads for the exam screens. Each runs a fixed number of queries, whatever the number of questions.

Nothing here returns a key, a correctness mark or an explanation: these are what the candidate may
see while the attempt is open. The result page (analytics) reads those after submit."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership
from questions.models import SyllabusArea, VersionChoice

from .models import Assignment, Attempt, AttemptItem, Blueprint, RealResult


def blueprints_for(*, user) -> list[Blueprint]:
    """Active blueprints this user may take: open to everyone, or to one of the user's organizations."""
    org_ids = user.memberships.filter(is_active=True).values("organization_id")
    return list(
        Blueprint.objects.filter(is_active=True)
        .filter(Q(organizations=None) | Q(organizations__in=org_ids))
        .select_related("exam")
        .distinct()
    )


def blueprints_open_to(organization_id: int):
    """Ids of the blueprints an organization's members may take: public ones and the organization's own."""
    return Blueprint.objects.filter(Q(organizations=None) | Q(organizations=organization_id)).values("pk")


def open_attempts_by_blueprint(*, user) -> dict[int, Attempt]:
    return {a.blueprint_id: a for a in Attempt.objects.filter(user=user, status=Attempt.Status.OPEN)}


def recent_attempts(*, user, limit: int = 10) -> list[Attempt]:
    return list(
        Attempt.objects.filter(user=user)
        .exclude(status=Attempt.Status.OPEN)
        .select_related("blueprint")
        .order_by("-started_at")[:limit]
    )


def attempt_of(*, user, attempt_id: int) -> Attempt:
    """The user's own attempt; anyone else's is a 404, so ids reveal nothing."""
    return get_object_or_404(Attempt.objects.select_related("blueprint__exam"), pk=attempt_id, user=user)


def drill_for(*, exam_id: int) -> Blueprint | None:
    """The exam's drill blueprint, where reports send a candidate to practise weak areas."""
    return Blueprint.objects.filter(exam_id=exam_id, is_drill=True, is_active=True).first()


def drill_areas(*, blueprint: Blueprint) -> list[SyllabusArea]:
    """Areas a drill can be built from (top level and leaves, in syllabus order)."""
    return list(SyllabusArea.objects.filter(exam_id=blueprint.exam_id, in_syllabus=True).order_by("order"))


@dataclass
class ExamItem:
    """One question as the exam page renders it: choices in the order shown, valued by position."""

    number: int
    kind: str
    area_name: str
    stem_html: str
    stimulus_html: str
    choices_html: list[str]
    selected: list[int]
    flagged: bool
    client_seq: int


def exam_items(*, attempt: Attempt) -> list[ExamItem]:
    """Every item of the attempt with its text, in two queries (plain rows: 200 model instances cost more)."""
    rows = list(
        AttemptItem.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list(
            "position",
            "version__kind",
            "area__name",
            "version__stem_html",
            "version__stimulus_html",
            "choice_order",
            "selected",
            "flagged",
            "client_seq",
        )
    )
    choice_ids = [cid for row in rows for cid in row[5]]
    html_by_choice = dict(VersionChoice.objects.filter(pk__in=choice_ids).values_list("pk", "text_html"))
    return [
        ExamItem(
            number=position,
            kind=kind,
            area_name=area_name,
            stem_html=stem_html,
            stimulus_html=stimulus_html,
            choices_html=[html_by_choice[cid] for cid in order],
            selected=selected,
            flagged=flagged,
            client_seq=client_seq,
        )
        for position, kind, area_name, stem_html, stimulus_html, order, selected, flagged, client_seq in rows
    ]


# --- Assignments and real results ----------------------------------------------------------------------

DONE_STATUSES = [Attempt.Status.SUBMITTED, Attempt.Status.SCORED]


def _first_done_at(*, user_id, blueprint_id, opens_at):
    """When the member submitted their first attempt that counts for an assignment (a subquery; the
    arguments are values or OuterRefs)."""
    return Subquery(
        Attempt.objects.filter(
            user_id=user_id, blueprint_id=blueprint_id, status__in=DONE_STATUSES, started_at__gte=opens_at
        )
        .order_by("submitted_at")
        .values("submitted_at")[:1]
    )


def assignment_targets(*, assignment: Assignment):
    """Active members the assignment is for (its departments' members and the members named), each with
    `done_at`: when they submitted the first attempt that counts, or None."""
    return (
        Membership.objects.filter(organization_id=assignment.organization_id, is_active=True)
        .filter(Q(department__in=assignment.departments.all()) | Q(pk__in=assignment.members.all()))
        .annotate(
            done_at=_first_done_at(
                user_id=OuterRef("user_id"), blueprint_id=assignment.blueprint_id, opens_at=assignment.opens_at
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
    name; done means a submitted attempt of the blueprint started since the assignment opened."""
    if assignment_ids is not None and not assignment_ids:
        return []  # nothing to count (and an empty IN list would make a poor plan)
    membership, attempt = Membership._meta.db_table, Attempt._meta.db_table
    assignment = Assignment._meta.db_table
    by_department = Assignment.departments.through._meta.db_table
    by_name = Assignment.members.through._meta.db_table
    only = f"AND a.id IN ({', '.join(['%s'] * len(assignment_ids))})" if assignment_ids is not None else ""
    sql = f"""
        WITH targets AS (
            SELECT a.id AS assignment_id, m.department_id, m.user_id, a.blueprint_id, a.opens_at, a.due_at
            FROM {assignment} a
            JOIN {membership} m ON m.organization_id = a.organization_id AND m.is_active
            WHERE a.organization_id = %s {only}
              AND (m.department_id IN (SELECT d.department_id FROM {by_department} d WHERE d.assignment_id = a.id)
                   OR m.id IN (SELECT n.membership_id FROM {by_name} n WHERE n.assignment_id = a.id))
        ), firsts AS (
            SELECT t.assignment_id, t.department_id,
                   (SELECT MIN(e.submitted_at) FROM {attempt} e
                    WHERE e.user_id = t.user_id AND e.blueprint_id = t.blueprint_id
                      AND e.status IN (%s, %s) AND e.started_at >= t.opens_at) AS done_at,
                   t.due_at
            FROM targets t
        )
        SELECT assignment_id, department_id, COUNT(*),
               SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN done_at < due_at THEN 1 ELSE 0 END)
        FROM firsts GROUP BY assignment_id, department_id
    """  # noqa: S608 - table names come from the models; every value is a parameter
    params = [organization_id, *(assignment_ids or []), *DONE_STATUSES]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Completion(*row) for row in cursor.fetchall()]


def assignments_of(*, organization_id: int, only: list[int] | None = None) -> list[Assignment]:
    """The organization's assignments, latest due first, each with `targets`, `done` and `done_on_time`."""
    assignments = Assignment.objects.filter(organization_id=organization_id)
    if only is not None:
        assignments = assignments.filter(pk__in=only)
    assignments = list(
        assignments.select_related("blueprint").prefetch_related("departments").order_by("-due_at", "-pk")
    )
    totals = {a.pk: [0, 0, 0] for a in assignments}
    for c in assignment_completion(organization_id=organization_id, assignment_ids=only):
        row = totals[c.assignment_id]
        row[0], row[1], row[2] = row[0] + c.targets, row[1] + c.done, row[2] + c.done_on_time
    for a in assignments:
        a.targets, a.done, a.done_on_time = totals[a.pk]
    return assignments


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
                user_id=user.pk, blueprint_id=OuterRef("blueprint_id"), opens_at=OuterRef("opens_at")
            )
        )
        .select_related("blueprint")
        .order_by("due_at")
    )
    recent = timezone.now() - timedelta(days=30)
    return [MyAssignment(a, a.done_at) for a in rows if a.done_at is None or a.done_at >= recent]


def real_results_of(*, user):
    return RealResult.objects.filter(user=user).select_related("exam").order_by("-taken_on", "-pk")
