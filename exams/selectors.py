"""Reads for the exam screens. Each runs a fixed number of queries, whatever the number of questions.

Nothing here returns a key, a correctness mark or an explanation: these are what the candidate may
see while the attempt is open. The result page (analytics) reads those after submit."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, FilteredRelation, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from common.prepared import PreparedQuery
from organizations.models import membership_window
from questions.models import SyllabusArea

from .fragments import VersionFragment, version_fragments
from .models import FINISHED, Attempt, AttemptItem, Blueprint, KeyHold


def blueprints_for(*, user) -> list[Blueprint]:
    """Active blueprints this user may take: open to everyone, or to one of the user's organizations."""
    return list(Blueprint.objects.available_to(user).select_related("exam"))


def withheld_keys(*, user_id: int, now=None) -> dict[int, datetime | None]:
    """The key exposure policy, in one place: the questions whose key, 解説, right/wrong marks and answer
    shares this person must not see now, by question (every version), each with when it is released:
    None while one of the person's open attempts holds it (released by that attempt's submit), or the due
    date of a KeyHold of their organization on a mock they took (an assignment's, hr.services). Nothing is
    drawn from these into a new attempt either, so no score can tell whether an answer to them was right.
    Two or three queries."""
    now = now or timezone.now()
    withheld: dict[int, datetime | None] = {}
    # Plain queries, not one with a correlated sub-select: every exam start asks this, and building that one
    # cost the ORM ~2 ms of CPU. Usually no hold is live, and then the finished attempts are not read at all.
    holds: dict[int, list[tuple[datetime, datetime]]] = {}
    for blueprint_id, opens_at, releases_at in KeyHold.objects.filter(
        releases_at__gt=now, organization__memberships__user_id=user_id, organization__memberships__is_active=True
    ).values_list("blueprint_id", "opens_at", "releases_at"):
        holds.setdefault(blueprint_id, []).append((opens_at, releases_at))
    if holds:
        for question_id, blueprint_id, started_at in AttemptItem.objects.filter(
            attempt__user_id=user_id, attempt__status__in=FINISHED, attempt__blueprint_id__in=list(holds)
        ).values_list("version__question_id", "attempt__blueprint_id", "attempt__started_at"):
            releases = [releases_at for opens_at, releases_at in holds[blueprint_id] if opens_at <= started_at]
            if releases:
                latest = max(releases)
                withheld[question_id] = max(latest, withheld.get(question_id) or latest)
    for (question_id,) in _QUESTIONS_OF_OPEN_ATTEMPTS.rows(user_id=user_id):
        withheld[question_id] = None
    return withheld


_QUESTIONS_OF_OPEN_ATTEMPTS = PreparedQuery(
    lambda user_id: (
        AttemptItem.objects.filter(attempt__user_id=user_id, attempt__status=Attempt.Status.OPEN)
        .values_list("version__question_id")
        .order_by()
    ),
    "user_id",
)


def of_members(rows, *, organization_id: int, moment: str):
    """What an organization may see of people's records (attempts, real results; any model with `user`):
    the rows made while the person was its member (accounts.membership_window on the row's `moment`
    field), each joined to that membership as `member` (member__id, member__department_id,
    member__is_active), so callers filter and group by it. Before joining and after leaving are not the
    organization's: the API, the dashboard, its member table and every CSV read through here."""
    window = Q(user__memberships__organization_id=organization_id) & membership_window(
        F(moment), prefix="user__memberships__"
    )
    return rows.annotate(member=FilteredRelation("user__memberships", condition=window)).filter(member__isnull=False)


def organization_attempts(*, organization_id: int):
    """Submitted and scored attempts the organization may see: its members' while they were members, and
    never of another organization's private blueprint."""
    attempts = Attempt.objects.filter(
        status__in=FINISHED, blueprint_id__in=Blueprint.objects.open_to(organization_id).values("pk")
    )
    return of_members(attempts, organization_id=organization_id, moment="started_at")


def open_attempts_by_blueprint(*, user) -> dict[int, Attempt]:
    return {a.blueprint_id: a for a in Attempt.objects.filter(user=user, status=Attempt.Status.OPEN)}


def recent_attempts(*, user, limit: int = 10) -> list[Attempt]:
    return list(
        Attempt.objects.filter(user=user, status__in=FINISHED)
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
    return syllabus_areas(exam_id=blueprint.exam_id)


def syllabus_areas(*, exam_id: int) -> list[SyllabusArea]:
    """The exam's current syllabus, top level and leaves, in order (area pickers)."""
    return list(
        SyllabusArea.objects.filter(exam_id=exam_id, in_syllabus=True).select_related("parent").order_by("order")
    )


@dataclass
class ExamItem:
    """One question as the exam page renders it: its version's fragment (exams.fragments) and the order its
    choices are shown in, valued by position."""

    number: int
    area_name: str
    fragment: VersionFragment
    choice_order: list[int]
    selected: list[int]
    flagged: bool
    client_seq: int

    @property
    def kind(self) -> str:
        return self.fragment.kind

    @property
    def choices_html(self) -> list[str]:
        return [self.fragment.choice_html(cid) for cid in self.choice_order]


def exam_items(*, attempt: Attempt) -> list[ExamItem]:
    """Every item of the attempt, in one query of small rows (no HTML: that comes from the versions' fragments,
    made once; plain rows, as 200 model instances cost more)."""
    rows = list(
        AttemptItem.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list(
            "position",
            "version_id",
            "area__name",
            "choice_order",
            "selected",
            "flagged",
            "client_seq",
            "version__published_at",
        )
    )
    fragments = version_fragments((row[1], row[-1]) for row in rows)
    return [
        ExamItem(
            number=position,
            area_name=area_name,
            fragment=fragments[version_id],
            choice_order=order,
            selected=selected,
            flagged=flagged,
            client_seq=client_seq,
        )
        for position, version_id, area_name, order, selected, flagged, client_seq, _published in rows
    ]
