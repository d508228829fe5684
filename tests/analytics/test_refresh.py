import random

import pytest
from django.utils import timezone

from analytics.models import AreaNorm, BlueprintNorm, ItemStat
from analytics.services import stats_rebuild, stats_refresh
from hr.aggregates import org_stats_rebuild
from tests.world import refresh_statistics, take

pytestmark = pytest.mark.django_db


def snapshot():
    norms = {
        n.blueprint_id: (n.count, round(n.mean, 9), round(n.m2, 9), n.correct_counts)
        for n in BlueprintNorm.objects.all()
    }
    areas = {(a.blueprint_id, a.area_id): (a.correct, a.total) for a in AreaNorm.objects.all()}
    items = {
        s.version_id: (
            s.responses,
            s.correct,
            round(s.sum_total, 9),
            round(s.sum_total_sq, 9),
            s.choice_picks,
            None if s.discrimination is None else round(s.discrimination, 9),
            s.flags,
        )
        for s in ItemStat.objects.all()
    }
    return norms, areas, items


def test_incremental_refresh_equals_a_full_rebuild_and_reads_only_new_attempts(cohort_blueprint, long_ago):
    rng = random.Random(7)
    first = [take(cohort_blueprint, right=rng.randint(0, 6), rng=rng, scored_at=long_ago) for _ in range(6)]
    assert refresh_statistics() == {"scored": 6, "organizations": 6}
    assert refresh_statistics() == {"scored": 0, "organizations": 0}  # nothing new: nothing read

    later = long_ago + timezone.timedelta(minutes=1)
    second = [take(cohort_blueprint, right=rng.randint(0, 6), rng=rng, scored_at=later) for _ in range(5)]
    assert stats_refresh(batch_size=3) == 3  # batches continue where the last one stopped
    assert stats_refresh(batch_size=3) == 2
    incremental = snapshot()

    assert (stats_rebuild(), org_stats_rebuild()) == (11, 11)
    assert snapshot() == incremental

    norm = BlueprintNorm.objects.get(blueprint=cohort_blueprint)
    scores = [a.score for a in first + second]
    assert norm.count == 11 and norm.mean == pytest.approx(sum(scores) / 11)
    assert sum(norm.correct_counts.values()) == 11
    g4 = AreaNorm.objects.get(blueprint=cohort_blueprint, area__code="G4")
    assert g4.total == 11 * 4
    assert ItemStat.objects.get(version__question__external_id="c4-0").responses >= 1


def test_attempts_scored_just_now_wait_until_they_have_settled(cohort_blueprint):
    take(cohort_blueprint, right=3, rng=random.Random(1))
    assert stats_refresh() == 0
    assert stats_refresh(now=timezone.now() + timezone.timedelta(minutes=3)) == 1


def test_refresh_runs_a_fixed_number_of_queries_per_batch(cohort_blueprint, long_ago):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rng = random.Random(3)

    def refresh_queries(new_attempts: int, at) -> int:
        for _ in range(new_attempts):
            take(cohort_blueprint, right=rng.randint(0, 6), rng=rng, scored_at=at)
        with CaptureQueriesContext(connection) as ctx:
            assert stats_refresh() == new_attempts
        return len(ctx.captured_queries)

    # The first run runs every statement (it also creates the watermark and inserts every row); later ones
    # skip an INSERT or UPDATE when no row needs one, but never run more, however many attempts arrive.
    most = refresh_queries(2, long_ago)
    assert refresh_queries(2, long_ago + timezone.timedelta(seconds=1)) <= most
    assert refresh_queries(12, long_ago + timezone.timedelta(seconds=2)) <= most
