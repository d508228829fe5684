"""Exam hot paths for the 200-question G検定 blueprint: start, exam page, autosave, scoring.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/moshi_bench .venv/bin/python bench/exam_bench.py [--runs 20]

Runs in-process against the configured database (PostgreSQL for meaningful figures); loads the syllabus,
starter bank and blueprints if missing, and uses its own user, whose attempts it deletes at the end.
Times are wall-clock per call, measured through Django's test client for views (all middleware included,
no network), and prints figures, not pass/fail assertions.
"""

import argparse
import gzip
import statistics
import time
from pathlib import Path

import benchsetup  # sets Django up before the imports below
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from exams import services
from exams.models import Attempt

TARGETS_MS = {"start": 50, "page": 100, "autosave": 5, "scoring": 50}


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms   (n={len(ordered)})"


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--blueprint", default="g-kentei-full")
    args = parser.parse_args()

    blueprint = benchsetup.blueprint_with_bank(args.blueprint)
    user, _ = User.objects.get_or_create(email="bench@moshi.example", defaults={"display_name": "bench"})
    Attempt.objects.filter(user=user).delete()
    services.queue_scoring = lambda attempt_id: None  # scoring is timed directly below, not through the broker

    client = Client()
    client.force_login(user)
    start_t, page_t, save_t, service_save_t, score_t = [], [], [], [], []
    page_raw = page_gzip = 0
    for run in range(args.runs):
        t, attempt = timed(lambda: services.attempt_start(user=user, blueprint=blueprint))
        start_t.append(t)
        url = reverse("exams:attempt", args=[attempt.pk])
        t, response = timed(lambda url=url: client.get(url, HTTP_ACCEPT_ENCODING="gzip"))
        assert response.status_code == 200, response.status_code
        page_t.append(t)
        page_gzip = len(response.content)
        page_raw = len(client.get(url).content)
        save_url = reverse("exams:attempt_save", args=[attempt.pk])
        for position in range(1, attempt.question_count + 1):
            body = f'{{"position": {position}, "selected": [{(position + run) % 4}], "flagged": false, "seq": 1}}'
            t, response = timed(lambda b=body, u=save_url: client.post(u, b, content_type="application/json"))
            assert response.status_code == 200, response.content
            save_t.append(t)
        for position in range(1, attempt.question_count + 1):
            t, _ = timed(
                lambda a=attempt, p=position: services.answer_save(
                    user=user, attempt_id=a.pk, position=p, selected=[0], flagged=True, seq=2
                )
            )
            service_save_t.append(t)
        services.attempt_submit(attempt=attempt)
        t, _ = timed(lambda a=attempt: services.attempt_score(attempt_id=a.pk))
        score_t.append(t)

    js = Path(finders.find("js/exam.js")).read_bytes()
    print(
        f"Exam bench · {blueprint.name} ({blueprint.question_count} questions) · {connection.vendor} · {args.runs} runs"
    )
    print(f"  start (attempt_start)     {ms(start_t)}   target < {TARGETS_MS['start']} ms")
    print(f"  exam page (GET, server)   {ms(page_t)}   target < {TARGETS_MS['page']} ms")
    print(
        f"  exam page size            {page_raw / 1024:7.1f} KB raw, {page_gzip / 1024:7.1f} KB gzip   target < 300 KB"
    )
    js_gzip = len(gzip.compress(js))
    print(f"  exam.js                   {len(js) / 1024:7.1f} KB raw, {js_gzip / 1024:7.1f} KB gzip   target < 30 KB")
    print(f"  autosave (POST, server)   {ms(save_t)}   target < {TARGETS_MS['autosave']} ms")
    print(f"  autosave (answer_save)    {ms(service_save_t)}   (the service alone, without HTTP and session)")
    print(f"  scoring (attempt_score)   {ms(score_t)}   target < {TARGETS_MS['scoring']} ms")
    Attempt.objects.filter(user=user).delete()


if __name__ == "__main__":
    main()
