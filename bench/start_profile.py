"""What one start costs the web process: the start POST, which answers with the exam page, through Django's full stack.

    DATABASE_URL=postgres://… REDIS_URL=redis://127.0.0.1:6379/N .venv/bin/python bench/start_profile.py [--runs 30]

Counts process CPU time (time.process_time), not wall-clock: the machine is shared, and CPU time is what
decides how many starts a second two cores can serve. Each run is a fresh candidate (no history), as on exam
day; the first run warms caches and is left out. Prints median/p95 CPU per start (the POST, answered with the
exam page) and per reload of the exam page (a GET of its Content-Location, not part of a start), the page's size,
the queries each ran, and a cProfile of the starts grouped by where the time went. What the warm-up built is
frozen out of garbage collection, as a gunicorn worker does once warm (config/gunicorn.conf.py).
"""

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import time

import benchsetup  # sets Django up before the imports below
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from exams.models import Attempt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--blueprint", default="g-kentei-full")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--profile-runs", type=int, default=5, help="extra runs under cProfile, not timed")
    parser.add_argument("--gzip", action="store_true", help="ask for gzip, as a browser without a proxy would")
    args = parser.parse_args()

    blueprint = benchsetup.blueprint_with_bank(args.blueprint)
    users = [
        User.objects.get_or_create(email=f"startprof{i}@bench.moshi.example", defaults={"display_name": "b"})[0]
        for i in range(args.runs + 1 + args.profile_runs)
    ]
    Attempt.objects.filter(user__in=users).delete()
    start_url = reverse("exams:start", args=[blueprint.slug])
    headers = {"HTTP_ACCEPT_ENCODING": "gzip"} if args.gzip else {}
    post_cpu, page_cpu, post_queries, page_queries = [], [], 0, 0
    profile = cProfile.Profile(time.process_time)
    size = 0
    for run, user in enumerate(users):
        client = Client()
        client.force_login(user)
        warm, profiled = run == 0, run > args.runs
        if profiled:
            profile.enable()
        t0 = time.process_time()
        with CaptureQueriesContext(connection) as q_post:
            response = client.post(start_url, {}, **headers)
        t1 = time.process_time()
        if profiled:
            profile.disable()
        assert response.status_code == 200, (response.status_code, response.content[:500])
        with CaptureQueriesContext(connection) as q_page:
            page = client.get(response["Content-Location"], **headers)
        t2 = time.process_time()
        if not warm and not profiled:
            post_cpu.append(t1 - t0)
            page_cpu.append(t2 - t1)
        assert page.status_code == 200, page.status_code
        if warm:  # as a gunicorn worker does once warm
            gc.collect()
            gc.freeze()
        size = len(response.content)
        post_queries, page_queries = len(q_post), len(q_page)

    def ms(values):
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return f"median {statistics.median(ordered) * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms"

    print(f"Start profile · {blueprint.name} · {connection.vendor} · {len(post_cpu)} runs · CPU time")
    kb = f"{size / 1024:.0f} KB{' gzip' if args.gzip else ''}"
    print(f"  start (POST answered with the exam page)  {ms(post_cpu)}  ({post_queries} queries, {kb})")
    print(f"  a reload of the exam page (not a start)   {ms(page_cpu)}  ({page_queries} queries)")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    Attempt.objects.filter(user__in=users).delete()


if __name__ == "__main__":
    main()
