"""Keeps the aggregates in analytics.models current. Incremental: each run reads only the attempts scored
since the watermark, and merges their sufficient statistics into the stored ones, so a refresh costs the
same whether 100 or 100,000 attempts came before."""

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from exams.models import Attempt, AttemptAreaResult, AttemptItem, Blueprint, KeyCorrection

from .models import AreaNorm, BlueprintNorm, ItemStat, StatsWatermark
from .statistics import ItemAccumulator, RunningMoments, suspect_flags

# A scoring transaction stamps scored_at before it commits. Reading only attempts scored at least this
# long ago means none can commit behind the watermark (scoring takes well under a second).
SETTLE = timedelta(minutes=2)
BATCH_SIZE = 500  # attempts per transaction: about 100,000 answer rows for full G検定 forms


def stats_refresh(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """Fold one batch of newly scored attempts into the aggregates. Returns how many it read."""
    settled_before = (now or timezone.now()) - SETTLE
    with transaction.atomic():
        mark = _lock_watermark()  # one refresh at a time
        new = Attempt.objects.filter(status=Attempt.Status.SCORED, scored_at__lt=settled_before)
        if mark.scored_at:
            new = new.filter(Q(scored_at__gt=mark.scored_at) | Q(scored_at=mark.scored_at, pk__gt=mark.attempt_id))
        attempts = list(
            new.order_by("scored_at", "pk").values_list("pk", "blueprint_id", "score", "correct_count", "scored_at")[
                :batch_size
            ]
        )
        if not attempts:
            return 0
        _fold(attempts)
        mark.attempt_id, mark.scored_at = attempts[-1][0], attempts[-1][4]
        mark.save(update_fields=["attempt_id", "scored_at"])
    return len(attempts)


def stats_refresh_all(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """Everything new, batch by batch. After a regrade (rare; it changes past results) the aggregates are
    first reset, under the watermark's lock, so the batches that follow rebuild them; an interrupted
    rebuild simply continues at the next run."""
    _reset_after_regrade()
    total = 0
    while read := stats_refresh(now=now, batch_size=batch_size):
        total += read
    return total


def stats_rebuild(*, now=None) -> int:
    """Start again from nothing; returns attempts read."""
    with transaction.atomic():
        _lock_watermark()
        _reset()
    return stats_refresh_all(now=now)


def _lock_watermark() -> StatsWatermark:
    StatsWatermark.objects.get_or_create(name="scored")
    return StatsWatermark.objects.select_for_update().get(name="scored")


def _reset() -> None:
    for model in (BlueprintNorm, AreaNorm, ItemStat):
        model.objects.all().delete()
    StatsWatermark.objects.filter(name="scored").update(scored_at=None, attempt_id=0)


def _reset_after_regrade() -> None:
    latest = KeyCorrection.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with transaction.atomic():
        mark = _lock_watermark()
        if latest > mark.correction_id:
            _reset()
            StatsWatermark.objects.filter(pk=mark.pk).update(correction_id=latest)


def _fold(attempts) -> None:
    # Drills are excluded: their forms are chosen by the candidate, so neither their scores nor their
    # items are comparable with a full form's.
    drills = set(Blueprint.objects.filter(is_drill=True).values_list("pk", flat=True))
    attempts = [a for a in attempts if a[1] not in drills]
    if attempts:
        _fold_norms(attempts)
        _fold_areas([a[0] for a in attempts])
        _fold_items({a[0]: a[2] for a in attempts})


def _fold_norms(attempts) -> None:
    moments: dict[int, RunningMoments] = defaultdict(RunningMoments)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, blueprint_id, score, correct_count, _ in attempts:
        moments[blueprint_id].add(score)
        counts[blueprint_id][str(correct_count)] += 1
    existing = {n.blueprint_id: n for n in BlueprintNorm.objects.filter(blueprint_id__in=moments)}
    for blueprint_id, new in moments.items():
        norm = existing.get(blueprint_id) or BlueprintNorm(blueprint_id=blueprint_id)
        stored = RunningMoments(count=norm.count, mean=norm.mean, m2=norm.m2)
        stored.merge(new)
        norm.count, norm.mean, norm.m2 = stored.count, stored.mean, stored.m2
        for key, n in counts[blueprint_id].items():
            norm.correct_counts[key] = norm.correct_counts.get(key, 0) + n
        existing[blueprint_id] = norm
    _save(BlueprintNorm, existing.values())


def _fold_areas(attempt_ids: list[int]) -> None:
    sums = (
        AttemptAreaResult.objects.filter(attempt_id__in=attempt_ids)
        .values_list("attempt__blueprint_id", "area_id")
        .annotate(correct=Sum("correct"), total=Sum("total"))
        .order_by()
    )
    new = {(b, a): (c, t) for b, a, c, t in sums}
    existing = {
        (n.blueprint_id, n.area_id): n
        for n in AreaNorm.objects.filter(blueprint_id__in={b for b, _ in new}, area_id__in={a for _, a in new})
    }
    for (blueprint_id, area_id), (correct, total) in new.items():
        norm = existing.get((blueprint_id, area_id)) or AreaNorm(blueprint_id=blueprint_id, area_id=area_id)
        norm.correct += correct
        norm.total += total
        existing[(blueprint_id, area_id)] = norm
    _save(AreaNorm, existing.values())


def _fold_items(score_by_attempt: dict[int, float]) -> None:
    accumulators: dict[int, ItemAccumulator] = defaultdict(ItemAccumulator)
    choices_of: dict[int, list[int]] = {}
    for attempt_id, version_id, is_correct, selected, order in AttemptItem.objects.filter(
        attempt_id__in=score_by_attempt
    ).values_list("attempt_id", "version_id", "is_correct", "selected", "choice_order"):
        chosen = [order[p] for p in selected if p < len(order)]
        accumulators[version_id].add(bool(is_correct), score_by_attempt[attempt_id], chosen)
        choices_of[version_id] = order
    existing = {s.version_id: s for s in ItemStat.objects.filter(version_id__in=accumulators)}
    for version_id, new in accumulators.items():
        stat = existing.get(version_id) or ItemStat(version_id=version_id)
        merged = ItemAccumulator(
            n=stat.responses,
            n_correct=stat.correct,
            sum_total=stat.sum_total,
            sum_total_sq=stat.sum_total_sq,
            sum_total_correct=stat.sum_total_correct,
            picks={int(k): v for k, v in stat.choice_picks.items()},
        )
        merged.merge(new)
        stat.responses, stat.correct = merged.n, merged.n_correct
        stat.sum_total, stat.sum_total_sq, stat.sum_total_correct = (
            merged.sum_total,
            merged.sum_total_sq,
            merged.sum_total_correct,
        )
        stat.choice_picks = {str(k): v for k, v in merged.picks.items()}
        stat.facility, stat.discrimination = merged.facility, merged.discrimination
        shares = {cid: merged.picks.get(cid, 0) / merged.n for cid in choices_of[version_id]}
        stat.flags = suspect_flags(stat.facility, stat.discrimination, shares, merged.n)
        existing[version_id] = stat
    _save(ItemStat, existing.values())


def _save(model, rows) -> None:
    """Replace the touched rows: one DELETE and one INSERT, whatever their number. (bulk_update builds a CASE
    per row and field, which costs seconds in Python for a few hundred item rows.)"""
    rows = list(rows)
    model.objects.filter(pk__in=[r.pk for r in rows if r.pk is not None]).delete()
    for row in rows:
        row.pk = None
    model.objects.bulk_create(rows)
