"""Keeps the aggregates in analytics.models current. Incremental: each run reads only the attempts scored
since the watermark, and merges their sufficient statistics into the stored ones, so a refresh costs the
same whether 100 or 100,000 attempts came before."""

from collections import defaultdict, namedtuple
from datetime import date, timedelta
from operator import attrgetter

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import Membership
from exams.models import Attempt, AttemptAreaResult, AttemptItem, Blueprint, KeyCorrection

from .models import AreaNorm, BlueprintNorm, ItemStat, MemberExamStat, OrgAreaStat, OrgMonthStat, StatsWatermark
from .statistics import ItemAccumulator, RunningMoments, suspect_flags

# A scoring transaction stamps scored_at before it commits. Reading only attempts scored at least this
# long ago means none can commit behind the watermark (scoring takes well under a second).
SETTLE = timedelta(minutes=2)
BATCH_SIZE = 500  # attempts per transaction: about 100,000 answer rows for full G検定 forms
ORG_BATCH_SIZE = 5000  # the organization aggregates read no answer rows, only area results

# Two sets of aggregates, each with its own watermark: the cohort's (norms, item statistics) and the
# organizations' (for HR). They fold the same attempts; the organizations' fold is far cheaper.
COHORT, ORGANIZATIONS = "scored", "organizations"
AGGREGATES = {
    COHORT: (BlueprintNorm, AreaNorm, ItemStat),
    ORGANIZATIONS: (OrgMonthStat, OrgAreaStat, MemberExamStat),
}
FOLDED = namedtuple("FOLDED", "pk user_id blueprint_id score correct_count passed pass_ratio started_at scored_at")


def stats_refresh(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """Fold one batch of newly scored attempts into the cohort and item aggregates. Returns how many it read."""
    return _refresh(COHORT, _fold, now=now, batch_size=batch_size)


def org_stats_refresh(*, now=None, batch_size: int = ORG_BATCH_SIZE) -> int:
    """Fold one batch of newly scored attempts into the organizations' aggregates for HR."""
    return _refresh(ORGANIZATIONS, _fold_organizations, now=now, batch_size=batch_size)


def stats_refresh_all(*, now=None) -> dict[str, int]:
    """Everything new, batch by batch, for both sets of aggregates; returns attempts read by each. After a
    regrade (rare; it changes past results) the aggregates are first reset, under the watermark's lock, so
    the batches that follow rebuild them; an interrupted rebuild simply continues at the next run."""
    read = {}
    for name, refresh in ((COHORT, stats_refresh), (ORGANIZATIONS, org_stats_refresh)):
        _reset_after_regrade(name)
        read[name] = 0
        while batch := refresh(now=now):
            read[name] += batch
    return read


def stats_rebuild(*, now=None) -> dict[str, int]:
    """Start again from nothing."""
    for name in AGGREGATES:
        with transaction.atomic():
            _lock_watermark(name)
            _reset(name)
    return stats_refresh_all(now=now)


def _refresh(name: str, fold, *, now, batch_size: int) -> int:
    settled_before = (now or timezone.now()) - SETTLE
    with transaction.atomic():
        mark = _lock_watermark(name)  # one refresh at a time
        new = Attempt.objects.filter(status=Attempt.Status.SCORED, scored_at__lt=settled_before)
        if mark.scored_at:
            new = new.filter(Q(scored_at__gt=mark.scored_at) | Q(scored_at=mark.scored_at, pk__gt=mark.attempt_id))
        attempts = [FOLDED(*a) for a in new.order_by("scored_at", "pk").values_list(*FOLDED._fields)[:batch_size]]
        if not attempts:
            return 0
        # Drills are excluded: their forms are chosen by the candidate, so neither their scores nor their
        # items are comparable with a full form's.
        drills = set(Blueprint.objects.filter(is_drill=True).values_list("pk", flat=True))
        if full_forms := [a for a in attempts if a.blueprint_id not in drills]:
            fold(full_forms)
        mark.attempt_id, mark.scored_at = attempts[-1].pk, attempts[-1].scored_at
        mark.save(update_fields=["attempt_id", "scored_at"])
    return len(attempts)


def _lock_watermark(name: str) -> StatsWatermark:
    StatsWatermark.objects.get_or_create(name=name)
    return StatsWatermark.objects.select_for_update().get(name=name)


def _reset(name: str) -> None:
    for model in AGGREGATES[name]:
        model.objects.all().delete()
    StatsWatermark.objects.filter(name=name).update(scored_at=None, attempt_id=0)


def _reset_after_regrade(name: str) -> None:
    latest = KeyCorrection.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with transaction.atomic():
        mark = _lock_watermark(name)
        if latest > mark.correction_id:
            _reset(name)
            StatsWatermark.objects.filter(pk=mark.pk).update(correction_id=latest)


def _fold(attempts) -> None:
    _fold_norms(attempts)
    _fold_areas([a.pk for a in attempts])
    _fold_items({a.pk: a.score for a in attempts})


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


def _fold_organizations(attempts) -> None:
    """Add attempts to their members' organizations (under the member's current department), and to each
    person's per-exam record. An attempt counts for an organization only if the person was an active member
    when they started it and the form was open to that organization (not another one's private blueprint);
    a person in two organizations counts in both."""
    memberships = defaultdict(list)
    for user_id, org_id, department_id, joined_at in Membership.objects.filter(
        user_id__in={a.user_id for a in attempts}, is_active=True
    ).values_list("user_id", "organization_id", "department_id", "joined_at"):
        memberships[user_id].append((org_id, department_id, joined_at))
    private_to: dict[int, set[int]] = defaultdict(set)
    for blueprint_id, org_id in Blueprint.organizations.through.objects.filter(
        blueprint_id__in={a.blueprint_id for a in attempts}
    ).values_list("blueprint_id", "organization_id"):
        private_to[blueprint_id].add(org_id)

    def organizations_of(a):
        return [
            (org_id, department_id)
            for org_id, department_id, joined_at in memberships[a.user_id]
            if joined_at <= a.started_at and (not private_to[a.blueprint_id] or org_id in private_to[a.blueprint_id])
        ]

    counted = {a.pk: organizations_of(a) for a in attempts}
    exam_of = dict(Blueprint.objects.filter(pk__in={a.blueprint_id for a in attempts}).values_list("pk", "exam_id"))

    months: dict[tuple, list] = defaultdict(lambda: [0, 0, 0.0])
    month_of = {a.pk: _month(a.started_at) for a in attempts}
    for a in attempts:
        for org_id, department_id in counted[a.pk]:
            row = months[(org_id, department_id, a.blueprint_id, month_of[a.pk])]
            row[0], row[1], row[2] = row[0] + 1, row[1] + bool(a.passed), row[2] + a.score
    _merge(OrgMonthStat, ("organization_id", "department_id", "blueprint_id", "month"), months,
           ("attempts", "passed", "score_sum"))  # fmt: skip

    areas: dict[tuple, list] = defaultdict(lambda: [0, 0])
    user_of = {a.pk: a.user_id for a in attempts}
    for attempt_id, area_id, correct, total in AttemptAreaResult.objects.filter(attempt_id__in=user_of).values_list(
        "attempt_id", "area_id", "correct", "total"
    ):
        for org_id, department_id in counted[attempt_id]:
            row = areas[(org_id, department_id, area_id, month_of[attempt_id])]
            row[0], row[1] = row[0] + correct, row[1] + total
    _merge(OrgAreaStat, ("organization_id", "department_id", "area_id", "month"), areas, ("correct", "total"))

    stats = {(s.user_id, s.exam_id): s for s in MemberExamStat.objects.filter(user_id__in=set(user_of.values()))}
    touched = set()
    for a in sorted(attempts, key=attrgetter("started_at")):
        key = (a.user_id, exam_of[a.blueprint_id])
        stat = stats.get(key) or MemberExamStat(user_id=a.user_id, exam_id=key[1], best_score=a.score)
        stats[key] = stat
        touched.add(key)
        stat.attempts += 1
        stat.passed_attempts += bool(a.passed)
        stat.best_score = max(stat.best_score, a.score)
        if stat.latest_at is None or a.started_at >= stat.latest_at:
            stat.latest_score, stat.latest_passed, stat.latest_pass_ratio = a.score, bool(a.passed), a.pass_ratio
            stat.latest_at = a.started_at
    _save(MemberExamStat, [stats[key] for key in touched])


def _month(moment) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def _merge(model, key_fields: tuple[str, ...], increments: dict[tuple, list], value_fields: tuple[str, ...]) -> None:
    """Add `increments` ({key: [values]}) to the stored rows with those keys, creating missing ones."""
    if not increments:
        return
    lookup = Q()  # narrows the read to rows that can match; the dict below picks the exact ones
    for field, values in zip(key_fields, zip(*increments, strict=True), strict=True):
        if None not in values:
            lookup &= Q(**{f"{field}__in": set(values)})
    stored = {tuple(getattr(r, f) for f in key_fields): r for r in model.objects.filter(lookup)}
    rows = []
    for key, values in increments.items():
        row = stored.get(key) or model(**dict(zip(key_fields, key, strict=True)))
        for field, value in zip(value_fields, values, strict=True):
            setattr(row, field, getattr(row, field) + value)
        rows.append(row)
    _save(model, rows)
