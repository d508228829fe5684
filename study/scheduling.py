"""When to see a question again: FSRS (the maintained `fsrs` package), over plain values so the request that
records an answer and the task that folds mock answers in share it (docs/study.md, "Spaced repetition").

An answer grades the review: wrong is Again; right is Easy within half the exam's pace for one question, Good
within one and a half times it, Hard beyond (a right answer reached slowly is not yet fluent). Answers in a mock
or drill have no per-question time, so a right one is Good."""

from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Rating, Scheduler, State

# Fuzzing spreads reviews of cards learned together over nearby days; off, so a schedule is reproducible and
# testable (with hundreds of cards the days still spread by their own stabilities).
SCHEDULER = Scheduler(desired_retention=0.9, enable_fuzzing=False)
EASY_SHARE, HARD_SHARE = 0.5, 1.5  # of the exam's seconds per question


def rating(*, correct: bool, seconds: float | None, pace_seconds: float) -> Rating:
    if not correct:
        return Rating.Again
    if seconds is None:
        return Rating.Good
    if seconds <= pace_seconds * EASY_SHARE:
        return Rating.Easy
    return Rating.Good if seconds <= pace_seconds * HARD_SHARE else Rating.Hard


@dataclass
class Memory:
    """What a StudyCard stores."""

    state: int = State.Learning.value
    step: int | None = 0
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None


def review(memory: Memory, grade: Rating, at: datetime) -> Memory:
    card = Card(
        state=State(memory.state),
        step=memory.step,
        stability=memory.stability,
        difficulty=memory.difficulty,
        due=memory.due or at,
        last_review=memory.last_review,
    )
    card, _log = SCHEDULER.review_card(card, grade, review_datetime=at)
    return Memory(card.state.value, card.step, card.stability, card.difficulty, card.due, card.last_review)
