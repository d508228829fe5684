"""Reads for the exam screens. Each runs a fixed number of queries, whatever the number of questions.

Nothing here returns a key, a correctness mark or an explanation: these are what the candidate may
see while the attempt is open. The result page (analytics) reads those after submit."""

from dataclasses import dataclass

from django.db.models import Q
from django.shortcuts import get_object_or_404

from questions.models import SyllabusArea, VersionChoice

from .models import Attempt, AttemptItem, Blueprint


def blueprints_for(*, user) -> list[Blueprint]:
    """Active blueprints this user may take: open to everyone, or to one of the user's organizations."""
    org_ids = user.memberships.filter(is_active=True).values("organization_id")
    return list(
        Blueprint.objects.filter(is_active=True)
        .filter(Q(organizations=None) | Q(organizations__in=org_ids))
        .select_related("exam")
        .distinct()
    )


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
