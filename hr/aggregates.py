"""Keeps the organization aggregates HR reads (OrgMonthStat, OrgAreaStat, MemberExamStat) current from
scored full-form attempts, incrementally, on their own cursor of the scored-attempt feed (exams.feed)."""

from collections import defaultdict
from datetime import date
from operator import attrgetter

from django.db.models import Q
from django.utils import timezone

from common.db import save_rows
from exams import feed
from exams.models import AttemptAreaResult, Blueprint, open_to_organization
from organizations.models import Membership

from .models import MemberExamStat, OrgAreaStat, OrgMonthStat

ORGANIZATIONS = "organizations"  # the cursor's name
BATCH_SIZE = 5000  # attempts per transaction: the organization figures read area results, not answer rows


def org_stats_refresh_all(*, now=None) -> int:
    """Fold everything newly scored into the organizations' figures (beat, every minute)."""
    return feed.read_all(ORGANIZATIONS, _fold_organizations, reset=_reset, batch_size=BATCH_SIZE, now=now)


def org_stats_refresh(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """One batch (the benchmark times them)."""
    return feed.read_next(ORGANIZATIONS, _fold_organizations, batch_size=batch_size, now=now)


def org_stats_rebuild(*, now=None) -> int:
    feed.restart(ORGANIZATIONS, reset=_reset)
    return org_stats_refresh_all(now=now)


def _reset() -> None:
    for model in (OrgMonthStat, OrgAreaStat, MemberExamStat):
        model.objects.all().delete()


def _fold_organizations(attempts) -> None:
    """Add attempts to their members' organizations (under the member's current department), and to each
    person's per-exam record in that organization. An attempt counts for an organization only if the person
    was its member when they started it (Membership.covers, the rule exams.selectors.of_members applies in
    SQL) and the form was open to it (not another one's private blueprint); a person in two organizations
    counts in both."""
    memberships = defaultdict(list)
    for membership in Membership.objects.filter(user_id__in={a.user_id for a in attempts}).only(
        "user_id", "organization_id", "department_id", "joined_at", "left_at"
    ):
        memberships[membership.user_id].append(membership)
    private_to: dict[int, set[int]] = defaultdict(set)
    for blueprint_id, org_id in Blueprint.organizations.through.objects.filter(
        blueprint_id__in={a.blueprint_id for a in attempts}
    ).values_list("blueprint_id", "organization_id"):
        private_to[blueprint_id].add(org_id)

    def organizations_of(a):
        return [
            (m.organization_id, m.department_id)
            for m in memberships[a.user_id]
            if m.covers(a.started_at) and open_to_organization(private_to[a.blueprint_id], m.organization_id)
        ]

    counted = {a.pk: organizations_of(a) for a in attempts}
    exam_of = dict(Blueprint.objects.filter(pk__in={a.blueprint_id for a in attempts}).values_list("pk", "exam_id"))

    months: dict[tuple, list] = defaultdict(lambda: [0, 0, 0.0])
    month_of = {a.pk: _month(a.started_at) for a in attempts}
    for a in attempts:
        for org_id, department_id in counted[a.pk]:
            row = months[(org_id, department_id, a.blueprint_id, month_of[a.pk])]
            row[0], row[1], row[2] = row[0] + 1, row[1] + bool(a.passed), row[2] + a.score
    _merge(
        OrgMonthStat,
        ("organization_id", "department_id", "blueprint_id", "month"),
        months,
        ("attempts", "passed", "score_sum"),
    )

    areas: dict[tuple, list] = defaultdict(lambda: [0, 0])
    user_of = {a.pk: a.user_id for a in attempts}
    for attempt_id, area_id, correct, total in AttemptAreaResult.objects.filter(attempt_id__in=user_of).values_list(
        "attempt_id", "area_id", "correct", "total"
    ):
        for org_id, department_id in counted[attempt_id]:
            row = areas[(org_id, department_id, area_id, month_of[attempt_id])]
            row[0], row[1] = row[0] + correct, row[1] + total
    _merge(OrgAreaStat, ("organization_id", "department_id", "area_id", "month"), areas, ("correct", "total"))

    stats = {
        (s.organization_id, s.user_id, s.exam_id): s
        for s in MemberExamStat.objects.filter(user_id__in=set(user_of.values()))
    }
    touched = set()
    for a in sorted(attempts, key=attrgetter("started_at")):
        for org_id, _department_id in counted[a.pk]:
            key = (org_id, a.user_id, exam_of[a.blueprint_id])
            stat = stats.get(key) or MemberExamStat(
                organization_id=org_id, user_id=a.user_id, exam_id=key[2], best_score=a.score
            )
            stats[key] = stat
            touched.add(key)
            stat.attempts += 1
            stat.passed_attempts += bool(a.passed)
            stat.best_score = max(stat.best_score, a.score)
            if stat.latest_at is None or a.started_at >= stat.latest_at:
                stat.latest_score, stat.latest_passed = a.score, bool(a.passed)
                stat.latest_pass_ratio, stat.latest_at = a.pass_ratio, a.started_at
                stat.latest_pass_probability = a.pass_probability
                stat.latest_pass_low, stat.latest_pass_high = a.pass_low, a.pass_high
    save_rows(MemberExamStat, [stats[key] for key in touched])


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
    save_rows(model, rows)
