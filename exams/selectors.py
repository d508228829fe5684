"""Reads for the exam screens. Each runs a fixed number of queries, whatever the number of questions.

Nothing here returns a key, a correctness mark or an explanation: these are what the candidate may
see while the attempt is open. The result page (analytics) reads those after submit."""

from dataclasses import dataclass, field

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


def drill_areas(*, blueprint: Blueprint) -> list[SyllabusArea]:
    """Areas a drill can be built from (top level and leaves, in syllabus order)."""
    return list(SyllabusArea.objects.filter(exam_id=blueprint.exam_id, in_syllabus=True).order_by("order"))


@dataclass
class ExamItem:
    """One question as the exam page renders it: choices in the order shown, valued by position."""

    number: int
    kind: str
    area: SyllabusArea
    stem_html: str
    stimulus_html: str
    choices: list[dict] = field(default_factory=list)
    selected: list[int] = field(default_factory=list)
    flagged: bool = False
    client_seq: int = 0


def exam_items(*, attempt: Attempt) -> list[ExamItem]:
    """Every item of the attempt with its text, in two queries."""
    items = list(
        AttemptItem.objects.filter(attempt=attempt)
        .select_related("area")
        .select_related("version")
        .only(
            "position",
            "area",
            "version",
            "choice_order",
            "selected",
            "flagged",
            "client_seq",
            "area__name",
            "area__code",
            "version__kind",
            "version__stem_html",
            "version__stimulus_html",
        )
        .order_by("position")
    )
    html_by_choice = dict(
        VersionChoice.objects.filter(version_id__in={i.version_id for i in items}).values_list("pk", "text_html")
    )
    return [
        ExamItem(
            number=i.position,
            kind=i.version.kind,
            area=i.area,
            stem_html=i.version.stem_html,
            stimulus_html=i.version.stimulus_html,
            choices=[{"html": html_by_choice[cid]} for cid in i.choice_order],
            selected=i.selected,
            flagged=i.flagged,
            client_seq=i.client_seq,
        )
        for i in items
    ]
