"""Keeps the cohort aggregates current: score norms per blueprint, rates per area, and item statistics (folded
in analytics.items). Incremental: each run reads only the attempts scored since its cursor of the scored-attempt
feed (exams.feed) and merges their sufficient statistics into the stored ones, so a refresh costs the same
whether 100 or 100,000 attempts came before."""

from collections import defaultdict

from django.db.models import Sum

from common.db import save_rows
from exams import feed
from exams.models import AttemptAreaResult

from .items import fold_items
from .models import AreaNorm, BlueprintNorm, ItemStat
from .statistics import RunningMoments

COHORT = "scored"  # the cursor's name (the name it had before there were other readers)
BATCH_SIZE = 500  # attempts per transaction: about 100,000 answer rows for full G検定 forms


def stats_refresh_all(*, now=None) -> int:
    """Fold everything newly scored into the cohort aggregates (beat, every minute). Returns attempts read."""
    return feed.read_all(COHORT, _fold, reset=_reset, batch_size=BATCH_SIZE, now=now)


def stats_refresh(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """One batch (tests and the benchmark time them)."""
    return feed.read_next(COHORT, _fold, batch_size=batch_size, now=now)


def stats_rebuild(*, now=None) -> int:
    """Start again from nothing."""
    feed.restart(COHORT, reset=_reset)
    return stats_refresh_all(now=now)


def _reset() -> None:
    for model in (BlueprintNorm, AreaNorm, ItemStat):
        model.objects.all().delete()


def _fold(attempts) -> None:
    _fold_norms(attempts)
    _fold_areas([a.pk for a in attempts])
    fold_items({a.pk: a.score for a in attempts})


def _fold_norms(attempts) -> None:
    moments: dict[int, RunningMoments] = defaultdict(RunningMoments)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in attempts:
        moments[a.blueprint_id].add(a.score)
        counts[a.blueprint_id][str(a.correct_count)] += 1
    existing = {n.blueprint_id: n for n in BlueprintNorm.objects.filter(blueprint_id__in=moments)}
    for blueprint_id, new in moments.items():
        norm = existing.get(blueprint_id) or BlueprintNorm(blueprint_id=blueprint_id)
        stored = RunningMoments(count=norm.count, mean=norm.mean, m2=norm.m2)
        stored.merge(new)
        norm.count, norm.mean, norm.m2 = stored.count, stored.mean, stored.m2
        for key, n in counts[blueprint_id].items():
            norm.correct_counts[key] = norm.correct_counts.get(key, 0) + n
        existing[blueprint_id] = norm
    save_rows(BlueprintNorm, existing.values())


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
    save_rows(AreaNorm, existing.values())
