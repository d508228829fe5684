"""Cohort statistics at scale: builds N scored G検定 本番形式 attempts (200 items each) in PostgreSQL with COPY,
then times the statistics refresh (all of them, then an incremental batch of new ones, which is what the beat
task does every minute) and one result report page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/moshi_bench .venv/bin/python bench/analytics_bench.py \
        [--attempts 10000] [--new 200]

Its users are bench-cohort-*@moshi.example; their attempts are replaced on every run. PostgreSQL only.
"""

import argparse
import io
import json
import random
import statistics
import sys
import time
from datetime import timedelta

import benchsetup  # sets Django up before the imports below
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from analytics.models import AreaNorm, BlueprintNorm, ItemStat
from analytics.services import stats_refresh_all
from exams.drawing import Candidate, Quota, draw
from exams.models import Attempt, Blueprint, FeedCursor
from exams.scoring import ItemKey, score_items
from questions.models import SyllabusArea, VersionChoice
from questions.selectors import published_questions

PREFIX = "bench-cohort-"


def forms(blueprint: Blueprint, count: int, rng: random.Random) -> list[list[Candidate]]:
    """A few drawn forms, reused across the cohort (drawing 10,000 would time the bench, not the stats)."""
    rows = published_questions().filter(exam=blueprint.exam_id, framework="common")
    pool = [
        Candidate(q, v, code, s)
        for q, v, code, s in rows.values_list("pk", "published_version_id", "area__code", "stimulus_id")
    ]
    quotas = [Quota(q.area.code, q.count) for q in blueprint.quotas.select_related("area")]
    return [draw(pool, quotas, rng, shuffle=True) for _ in range(count)]


def load_cohort(blueprint: Blueprint, n: int, *, scored_at, rng: random.Random, start_index: int) -> list[int]:
    """n users, each with one scored attempt of the blueprint, written with COPY. Returns attempt ids."""
    drawn = forms(blueprint, 20, rng)
    version_ids = {c.version_id for form in drawn for c in form}
    choices: dict[int, list[int]] = {}
    keys: dict[int, set[int]] = {v: set() for v in version_ids}
    for vid, cid, correct in (
        VersionChoice.objects.filter(version_id__in=version_ids)
        .values_list("version_id", "pk", "is_correct")
        .order_by("version_id", "order")
    ):
        choices.setdefault(vid, []).append(cid)
        if correct:
            keys[vid].add(cid)
    area_of = dict(SyllabusArea.objects.values_list("code", "pk"))
    parent_of = dict(SyllabusArea.objects.values_list("pk", "parent_id"))
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"{PREFIX}{start_index + i}@moshi.example", password=password) for i in range(n)
    )
    attempts = Attempt.objects.bulk_create(
        Attempt(
            user=u,
            blueprint=blueprint,
            status=Attempt.Status.SCORED,
            seed=0,
            started_at=scored_at - timedelta(minutes=120),
            deadline=scored_at,
            submitted_at=scored_at,
            submitted_by=Attempt.SubmittedBy.CANDIDATE,
            scored_at=scored_at + timedelta(microseconds=i),
            question_count=blueprint.question_count,
            pass_ratio=blueprint.pass_ratio,
            correct_count=0,
            score=0,
            passed=False,
        )
        for i, u in enumerate(users)
    )
    items, areas, results = io.StringIO(), io.StringIO(), []
    for attempt in attempts:
        form = rng.choice(drawn)
        ability = rng.betavariate(6, 3)  # a cohort centred around 67% correct
        keyed = []
        for position, c in enumerate(form, start=1):
            order = choices[c.version_id][:]
            rng.shuffle(order)
            key_positions = [p for p, cid in enumerate(order) if cid in keys[c.version_id]]
            right = rng.random() < ability
            selected = (
                key_positions if right else [rng.choice([p for p in range(len(order)) if p not in key_positions])]
            )
            area_id = area_of[c.area_code]
            keyed.append(
                ItemKey(position, area_id, parent_of[area_id], {order[p] for p in selected}, keys[c.version_id])
            )
            items.write(
                f"{attempt.pk}\t{position}\t{c.version_id}\t{area_id}\t{json.dumps(order)}\t{len(order)}\tf\t"
                f"{json.dumps(selected)}\tf\t1\t{(scored_at - timedelta(minutes=120 - position * 0.5)).isoformat()}"
                f"\t\\N\t{'t' if right else 'f'}\n"
            )
        result = score_items(keyed, pass_ratio=blueprint.pass_ratio)
        results.append((attempt.pk, result))
        for area_id, (correct, total) in result.by_area.items():
            areas.write(f"{attempt.pk}\t{area_id}\t{correct}\t{total}\n")
    with transaction.atomic(), connection.cursor() as cursor:
        items.seek(0)
        areas.seek(0)
        cursor.copy_expert(
            "COPY exams_attemptitem (attempt_id, position, version_id, area_id, choice_order, choice_count, multiple,"
            " selected, flagged, client_seq, answered_at, first_seen_at, is_correct) FROM STDIN",
            items,
        )
        cursor.copy_expert("COPY exams_attemptarearesult (attempt_id, area_id, correct, total) FROM STDIN", areas)
        for attempt_id, r in results:
            Attempt.objects.filter(pk=attempt_id).update(correct_count=r.correct, score=r.score, passed=r.passed)
    return [a.pk for a in attempts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=200, help="attempts added before the incremental refresh")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("analytics_bench needs PostgreSQL (DATABASE_URL=postgres://…)")
    blueprint = benchsetup.blueprint_with_bank("g-kentei-full")
    rng = random.Random(2026)

    Attempt.objects.filter(user__email__startswith=PREFIX).delete()
    User.objects.filter(email__startswith=PREFIX).delete()
    for model in (BlueprintNorm, AreaNorm, ItemStat, FeedCursor):
        model.objects.all().delete()

    long_ago = timezone.now() - timedelta(days=1)
    started = time.perf_counter()
    for offset in range(0, args.attempts, 1000):
        load_cohort(blueprint, min(1000, args.attempts - offset), scored_at=long_ago, rng=rng, start_index=offset)
    print(
        f"Analytics bench · {args.attempts} scored attempts of {blueprint.name} · loaded in "
        f"{time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    read = stats_refresh_all()
    first = time.perf_counter() - started
    print(
        f"  first refresh (everything)        {first:8.2f} s   "
        f"{read} attempts; {first / max(read, 1) * 1000:.2f} ms each"
    )

    new_ids = load_cohort(
        blueprint, args.new, scored_at=long_ago + timedelta(hours=1), rng=rng, start_index=args.attempts
    )
    started = time.perf_counter()
    read = stats_refresh_all()
    incremental = time.perf_counter() - started
    print(f"  incremental refresh ({read} new)     {incremental * 1000:8.1f} ms   (the beat task's work per minute)")

    client = Client()
    attempt = Attempt.objects.select_related("user").get(pk=new_ids[-1])
    client.force_login(attempt.user)
    url = reverse("analytics:attempt_result", args=[attempt.pk])
    client.get(url)
    timings = []
    for _ in range(10):
        t = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - t)
        assert response.status_code == 200
    print(
        f"  report page (200 items)           median {statistics.median(timings) * 1000:6.1f} ms   "
        f"max {max(timings) * 1000:6.1f} ms   ({len(response.content) / 1024:.0f} KB)"
    )
    norm = BlueprintNorm.objects.get(blueprint=blueprint)
    print(
        f"  cohort: n={norm.count}, mean {norm.mean:.3f}, flagged items "
        f"{ItemStat.objects.exclude(flags=[]).count()} of {ItemStat.objects.count()}"
    )


if __name__ == "__main__":
    main()
