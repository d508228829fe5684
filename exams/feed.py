"""The feed of scored attempts, for readers that fold them into aggregates (analytics' cohort statistics,
hr's organization figures). Each reader has a named cursor (FeedCursor) and reads the next batch of full-form
attempts scored since it, in (scored_at, id) order, so a refresh costs the same whether 100 or 100,000
attempts came before. After a regrade (which changes past results) a reader starts again from nothing."""

from collections import namedtuple
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Attempt, Blueprint, FeedCursor, KeyCorrection

# A scoring transaction stamps scored_at before it commits. Reading only attempts scored at least this
# long ago means none can commit behind the cursor (scoring takes well under a second).
SETTLE = timedelta(minutes=2)
Scored = namedtuple(
    "Scored",
    "pk user_id blueprint_id score correct_count passed pass_ratio pass_probability pass_low pass_high started_at "
    "scored_at",
)


def read_next(
    name: str, fold: Callable[[list[Scored]], None], *, batch_size: int, now=None, drills: bool = False
) -> int:
    """Give `fold` the next batch of full-form attempts scored since cursor `name`, and move the cursor, in one
    transaction (one reader at a time). Drills are left out unless asked for: their forms are chosen by the
    candidate, so neither their scores nor their items compare with a full form's. Returns how many attempts it
    read."""
    settled_before = (now or timezone.now()) - SETTLE
    with transaction.atomic():
        cursor = _lock(name)
        new = Attempt.objects.filter(status=Attempt.Status.SCORED, scored_at__lt=settled_before)
        if cursor.scored_at:
            new = new.filter(
                Q(scored_at__gt=cursor.scored_at) | Q(scored_at=cursor.scored_at, pk__gt=cursor.attempt_id)
            )
        attempts = [Scored(*a) for a in new.order_by("scored_at", "pk").values_list(*Scored._fields)[:batch_size]]
        if not attempts:
            return 0
        left_out = set() if drills else set(Blueprint.objects.filter(is_drill=True).values_list("pk", flat=True))
        if wanted := [a for a in attempts if a.blueprint_id not in left_out]:
            fold(wanted)
        cursor.attempt_id, cursor.scored_at = attempts[-1].pk, attempts[-1].scored_at
        cursor.save(update_fields=["attempt_id", "scored_at"])
    return len(attempts)


def read_all(
    name: str, fold, *, reset: Callable[[], None] | None, batch_size: int, now=None, drills: bool = False
) -> int:
    """Everything new, batch by batch. After a regrade the reader's aggregates are first `reset` (under the
    cursor's lock) so the batches that follow rebuild them; an interrupted rebuild continues at the next run. A
    reader with no `reset` (one that records events, like study cards) keeps going where it was."""
    latest = KeyCorrection.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with transaction.atomic():
        cursor = _lock(name)
        if latest > cursor.correction_id:
            if reset is None:
                FeedCursor.objects.filter(pk=cursor.pk).update(correction_id=latest)
            else:
                reset()
                FeedCursor.objects.filter(pk=cursor.pk).update(scored_at=None, attempt_id=0, correction_id=latest)
    read = 0
    while batch := read_next(name, fold, batch_size=batch_size, now=now, drills=drills):
        read += batch
    return read


def has_read(name: str, attempt) -> bool:
    """Whether reader `name` has folded this scored attempt into its aggregates yet."""
    cursor = FeedCursor.objects.filter(name=name).values_list("scored_at", "attempt_id").first()
    if not cursor or cursor[0] is None or attempt.scored_at is None:
        return False
    return (attempt.scored_at, attempt.pk) <= cursor


def restart(name: str, *, reset: Callable[[], None]) -> None:
    """Forget what the reader has read: its aggregates are `reset` and the next read starts from nothing."""
    with transaction.atomic():
        _lock(name)
        reset()
        FeedCursor.objects.filter(name=name).update(scored_at=None, attempt_id=0)


def _lock(name: str) -> FeedCursor:
    FeedCursor.objects.get_or_create(name=name)
    return FeedCursor.objects.select_for_update().get(name=name)
