"""Scoring as a pure function over plain data: exhaustively testable, and the one place the rule lives."""

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemKey:
    item_id: int
    area_id: int
    parent_area_id: int | None
    selected_ids: set[int]
    correct_ids: set[int]


@dataclass
class ScoreResult:
    correct: int
    total: int
    score: float
    passed: bool
    item_correct: dict[int, bool] = field(default_factory=dict)
    by_area: dict[int, tuple[int, int]] = field(default_factory=dict)  # area id -> (correct, total)


def is_right(selected_ids: set[int], correct_ids: set[int]) -> bool:
    """Exactly the correct choices selected: all-or-nothing for select-all questions, as in the real exams."""
    return bool(correct_ids) and selected_ids == correct_ids


def score_items(items: list[ItemKey], *, pass_ratio: float) -> ScoreResult:
    """An item is right only when exactly the correct choices are selected: all-or-nothing for
    select-all questions, as in the real exams. Area results count each leaf and its top-level parent."""
    item_correct = {i.item_id: is_right(i.selected_ids, i.correct_ids) for i in items}
    by_area: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for i in items:
        for area_id in filter(None, (i.area_id, i.parent_area_id)):
            by_area[area_id][0] += item_correct[i.item_id]
            by_area[area_id][1] += 1
    correct = sum(item_correct.values())
    total = len(items)
    score = correct / total if total else 0.0
    return ScoreResult(
        correct=correct,
        total=total,
        score=score,
        passed=score >= pass_ratio,
        item_correct=item_correct,
        by_area={k: (v[0], v[1]) for k, v in by_area.items()},
    )
