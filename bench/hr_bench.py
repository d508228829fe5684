"""The HR API at company scale: one organization of N members (default 100,000) in D departments with M
scored G検定 attempts (default 1,000,000) over the last 12 months, bulk-loaded with COPY; then the beat
task's organization refresh over all of them, and p50/p95 latency of the pass-rate, weakness and members
endpoints (and, for reference, the HR dashboard page) through Django's full stack with a real token.

    createdb -h 127.0.0.1 -U postgres moshi_hrbench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/moshi_hrbench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/moshi_hrbench .venv/bin/python bench/hr_bench.py \
        [--members 100000] [--attempts 1000000] [--departments 50] [--runs 40] [--reload]

The data stays between runs (about 6 GB with indexes for the defaults); --reload builds it again. Attempts
carry area results for the ten top-level syllabus areas, not 200 answer rows each: the HR figures read
only those. PostgreSQL only.
"""

import argparse
import io
import math
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
from exams.models import Attempt, FeedCursor
from hr.aggregates import ORGANIZATIONS, org_stats_refresh
from hr.models import MemberExamStat, OrgAreaStat, OrgMonthStat
from organizations.models import Department, Membership, Organization
from organizations.services import api_token_create

SLUG = "bench-hr"
EMAIL = "bench-hr-{}@moshi.example"


def copy(table: str, columns: str, rows: io.StringIO) -> None:
    rows.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", rows)


def wipe() -> None:
    """Remove a previous load with plain SQL (the ORM would cascade row by row through a million attempts)."""
    org = Organization.objects.filter(slug=SLUG).first()
    users = f"SELECT id FROM accounts_user WHERE email LIKE '{EMAIL.format('%')}'"  # noqa: S608 - constants
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM exams_attemptarearesult WHERE attempt_id IN "  # noqa: S608 - constants only
            f"(SELECT id FROM exams_attempt WHERE user_id IN ({users}))"
        )
        cursor.execute(f"DELETE FROM exams_attempt WHERE user_id IN ({users})")  # noqa: S608
        cursor.execute(f"DELETE FROM analytics_memberexamstat WHERE user_id IN ({users})")  # noqa: S608
        if org:
            for table in ("analytics_orgmonthstat", "analytics_orgareastat", "accounts_membership"):
                cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s", [org.pk])  # noqa: S608
        cursor.execute(f"DELETE FROM accounts_user WHERE id IN ({users})")  # noqa: S608
    if org:
        org.delete()


def load(args, blueprint, rng: random.Random) -> Organization:
    started = time.perf_counter()
    org = Organization.objects.create(name="ベンチ株式会社", slug=SLUG)
    departments = Department.objects.bulk_create(
        Department(organization=org, name=f"部署{i:02d}") for i in range(args.departments)
    )
    now = timezone.now()
    password = make_password(None)
    users = io.StringIO()
    for i in range(args.members):
        users.write(f"{password}\tf\t{EMAIL.format(i)}\t社員{i}\tja\tf\tt\t{now.isoformat()}\n")
    with transaction.atomic():
        copy(
            "accounts_user",
            "password, is_superuser, email, display_name, preferred_language, is_staff, is_active, date_joined",
            users,
        )
    user_ids = list(User.objects.filter(email__startswith="bench-hr-").order_by("pk").values_list("pk", flat=True))
    members = io.StringIO()
    for i, user_id in enumerate(user_ids):
        department = departments[i % len(departments)].pk
        joined = (now - timedelta(days=400)).isoformat()  # before every attempt: they count for the company
        members.write(f"member\tB{i:06d}\tt\t{joined}\t{department}\t{user_id}\t{org.pk}\n")
    with transaction.atomic():
        copy(
            "accounts_membership",
            "role, employee_code, is_active, joined_at, department_id, user_id, organization_id",
            members,
        )
    print(f"  {args.members:,} members in {args.departments} departments: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    quotas = [(q.area_id, q.count) for q in blueprint.quotas.all()]
    ability = {u: rng.betavariate(6, 3) for u in user_ids}  # people differ; each area a little too
    attempts = io.StringIO()
    for n in range(args.attempts):
        user_id = user_ids[n % len(user_ids)] if n < len(user_ids) else rng.choice(user_ids)
        start = now - timedelta(days=rng.uniform(0.2, 360))  # all scored a while ago
        p = ability[user_id]
        n_q = blueprint.question_count  # a binomial draw, by its normal approximation
        correct = min(n_q, max(0, round(rng.gauss(p * n_q, math.sqrt(n_q * p * (1 - p))))))
        score = correct / blueprint.question_count
        scored = start + timedelta(minutes=121)
        attempts.write(
            f"scored\tcommon\t0\t{start.isoformat()}\t{(start + timedelta(minutes=120)).isoformat()}\t"
            f"{scored.isoformat()}\tcandidate\t{scored.isoformat()}\t{blueprint.question_count}\t{correct}\t"
            f"{score}\t{'t' if score >= blueprint.pass_ratio else 'f'}\t{blueprint.pass_ratio}\t{scored.isoformat()}"
            f"\t{user_id}\t{blueprint.pk}\n"
        )
    with transaction.atomic():
        copy(
            "exams_attempt",
            "status, framework, seed, started_at, deadline, submitted_at, submitted_by, "
            "scored_at, question_count, correct_count, score, passed, pass_ratio, updated_at, user_id, "
            "blueprint_id",
            attempts,
        )
    print(f"  {args.attempts:,} scored attempts: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    rows = Attempt.objects.filter(user__email__startswith="bench-hr-").values_list("pk", "correct_count")
    areas = io.StringIO()
    written = 0
    for attempt_id, correct in rows.iterator(chunk_size=20_000):
        p = correct / blueprint.question_count
        for area_id, count in quotas:
            right = min(count, max(0, round(count * rng.gauss(p, 0.08))))
            areas.write(f"{attempt_id}\t{area_id}\t{right}\t{count}\n")
        written += 1
        if written % 200_000 == 0:  # COPY in slices, so the buffer stays a few hundred MB
            with transaction.atomic():
                copy("exams_attemptarearesult", "attempt_id, area_id, correct, total", areas)
            areas = io.StringIO()
    with transaction.atomic():
        copy("exams_attemptarearesult", "attempt_id, area_id, correct, total", areas)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {written * len(quotas):,} area results: {time.perf_counter() - started:.1f} s")
    return org


def refresh() -> None:
    """The beat task's organization refresh, from nothing, over every loaded attempt."""
    for model in (OrgMonthStat, OrgAreaStat, MemberExamStat):
        model.objects.all().delete()
    FeedCursor.objects.filter(name=ORGANIZATIONS).delete()
    started, total, batches = time.perf_counter(), 0, []
    while True:
        t = time.perf_counter()
        read = org_stats_refresh(now=timezone.now() + timedelta(hours=1))
        if not read:
            break
        batches.append(time.perf_counter() - t)
        total += read
    elapsed = time.perf_counter() - started
    print(
        f"  organization refresh over {total:,} attempts: {elapsed:.1f} s "
        f"({len(batches)} batches, median {statistics.median(batches) * 1000:.0f} ms each)"
    )
    # A first fold of a million attempts rewrites the aggregate rows 200 times; in production autovacuum
    # clears the dead rows and refreshes the planner's statistics behind the per-minute refreshes.
    with connection.cursor() as cursor:
        for model in (OrgMonthStat, OrgAreaStat, MemberExamStat):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def measure(client: Client, label: str, url: str, runs: int, **headers) -> None:
    times = []
    for _ in range(runs + 2):
        t = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    times = sorted(times[2:])  # the first two warm caches
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    size = len(response.content)
    print(f"  {label:48} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   {size / 1024:7.1f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--departments", type=int, default=50)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--reload", action="store_true", help="build the data again even if it is there")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("hr_bench needs PostgreSQL (DATABASE_URL=postgres://…)")
    blueprint = benchsetup.blueprint_with_bank("g-kentei-full")
    rng = random.Random(2026)

    org = Organization.objects.filter(slug=SLUG).first()
    loaded = org and Membership.objects.filter(organization=org).count() == args.members
    loaded = loaded and Attempt.objects.filter(user__memberships__organization=org).count() == args.attempts
    if args.reload or not loaded:
        print("Loading (COPY):")
        wipe()
        org = load(args, blueprint, rng)
        refresh()
    else:
        print(f"Reusing the loaded organization ({args.members:,} members, {args.attempts:,} attempts).")
        if not OrgMonthStat.objects.filter(organization=org).exists():
            refresh()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    _, key = api_token_create(organization=org, name="bench")
    hr = User.objects.get(email=EMAIL.format(0))
    Membership.objects.filter(user=hr).update(role=Membership.Role.HR_MANAGER)
    client, browser = Client(), Client()
    browser.force_login(hr)
    token = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    department = Department.objects.filter(organization=org).order_by("pk").first()
    middle = Membership.objects.filter(organization=org).order_by("pk")[args.members // 2].pk

    print(f"\nLatency, {args.runs} runs each, Django's full stack in-process (PostgreSQL on loopback):")
    api = reverse("api:pass_rates")
    measure(client, "pass-rates ?group_by=department", f"{api}?group_by=department", args.runs, **token)
    measure(client, "pass-rates ?group_by=department,month", f"{api}?group_by=department,month", args.runs, **token)
    measure(
        client,
        "pass-rates ?group_by=blueprint,month&exam=…",
        f"{api}?group_by=blueprint,month&exam=g_kentei",
        args.runs,
        **token,
    )
    weak = reverse("api:weaknesses")
    measure(client, "weaknesses ?exam=g_kentei", f"{weak}?exam=g_kentei", args.runs, **token)
    measure(
        client,
        "weaknesses ?exam=g_kentei&department=…",
        f"{weak}?exam=g_kentei&department={department.pk}",
        args.runs,
        **token,
    )
    members = reverse("api:members")
    measure(client, "members (first page of 100)", members, args.runs, **token)
    measure(client, "members ?page_size=1000", f"{members}?page_size=1000", args.runs, **token)
    measure(client, "members/<id>", reverse("api:member", args=[middle]), args.runs, **token)
    print("\nFor reference (not an API target):")
    measure(browser, "HR dashboard page (G検定, 12 months)", reverse("hr:org_dashboard"), max(5, args.runs // 4))


if __name__ == "__main__":
    main()
