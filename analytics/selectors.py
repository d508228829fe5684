"""Reads for result pages. Fixed query counts whatever the number of questions."""

from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from exams.models import Attempt, AttemptAreaResult, AttemptItem
from questions.models import VersionChoice


@dataclass
class AreaRow:
    code: str
    name: str
    is_top: bool
    correct: int
    total: int

    @property
    def rate(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass
class ReviewChoice:
    number: int
    html: str
    is_correct: bool
    chosen: bool


@dataclass
class ReviewItem:
    number: int
    area_name: str
    kind: str
    stimulus_html: str
    stem_html: str
    explanation_html: str
    choices: list[ReviewChoice]
    is_correct: bool | None
    flagged: bool

    @property
    def answered(self) -> bool:
        return any(c.chosen for c in self.choices)


def attempt_for_result(*, user, attempt_id: int) -> Attempt:
    """The candidate's own attempt; anyone else's is a 404."""
    return get_object_or_404(Attempt.objects.select_related("blueprint__exam"), pk=attempt_id, user=user)


def area_rows(*, attempt: Attempt) -> list[AreaRow]:
    rows = (
        AttemptAreaResult.objects.filter(attempt=attempt).select_related("area").order_by("area__order", "area__code")
    )
    return [AreaRow(r.area.code, r.area.name, r.area.parent_id is None, r.correct, r.total) for r in rows]


def review_items(*, attempt: Attempt) -> list[ReviewItem]:
    """Every question with the candidate's answer, the key and the explanation: only after submit."""
    if attempt.status == Attempt.Status.OPEN:
        raise ValueError("the key is never shown for an open attempt")
    items = list(AttemptItem.objects.filter(attempt=attempt).select_related("version", "area").order_by("position"))
    choices = {
        c.pk: c
        for c in VersionChoice.objects.filter(version_id__in={i.version_id for i in items}).only(
            "pk", "text_html", "is_correct"
        )
    }
    return [
        ReviewItem(
            number=i.position,
            area_name=i.area.name,
            kind=i.version.kind,
            stimulus_html=i.version.stimulus_html,
            stem_html=i.version.stem_html,
            explanation_html=i.version.explanation_html,
            choices=[
                ReviewChoice(n + 1, choices[cid].text_html, choices[cid].is_correct, n in i.selected)
                for n, cid in enumerate(i.choice_order)
            ],
            is_correct=i.is_correct,
            flagged=i.flagged,
        )
        for i in items
    ]
