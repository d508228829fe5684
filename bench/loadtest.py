"""Exam day under load, against the production-like stack of `make stack` (ops/stack.sh).

    make stack-start && make loadtest                 # 2,000 candidates (LOADTEST_CANDIDATES=200 for less)
    ops/stack.sh exec .venv/bin/python bench/loadtest.py --candidates 50 --start-window 10 --answer-seconds 30

N candidates (created in the stack's database beforehand: one organization, users sharing one password hash)
log in through the real login form, start the same blueprint spread over a start window, answer every
question and autosave at a compressed exam pace (open loop: each save is sent at its scheduled time, and its
latency counts from that time, so a slow server cannot slow the offered load down), and submit together
at the deadline; then each browser polls its result page as the page's own meta refresh does, while this
script polls the database until every attempt is SCORED. Between the start and the answering, a closed-loop
capacity probe measures the throughput of /ping (the cheapest authenticated request) and of autosave at the
same concurrency, so autosave can be read as a fraction of what the stack allows.

One process, asyncio and httpx with a bounded connection pool; it shares the machine's cores with the stack,
and prints how much CPU it used itself. Loopback only. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import stackcpu  # bench/: the CPU of each part of the stack, one node or several

ROOT = Path(__file__).resolve().parents[1]
EMAIL_DOMAIN = "loadtest.moshi.example"
PASSWORD = "loadtest-candidate-2026"
SAVES_PER_QUESTION = 1.15  # one answer each, plus ~10% flag toggles and ~5% changed answers
EXAM_SECONDS = 120 * 60  # G検定: 200 questions in 120 minutes, about 36 s a question

# ---- figures (pure; tested in tests/bench/test_loadtest_stats.py) ------------------------------------------


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100): a value that was actually observed."""
    if not ordered:
        return float("nan")
    if q <= 0:
        return ordered[0]
    rank = -(-len(ordered) * q // 100)  # ceil(n * q / 100)
    return ordered[min(len(ordered), int(rank)) - 1]


@dataclass
class Phase:
    """Latencies and outcomes of one kind of request within one phase of the run."""

    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    outcomes: Counter = field(default_factory=Counter)  # HTTP status or exception name -> count
    failures: Counter = field(default_factory=Counter)  # the outcomes that were not the expected answer
    samples: list[str] = field(default_factory=list)  # the first few unexpected answers, for the report
    first: float = float("inf")
    last: float = 0.0

    def record(self, started: float, ended: float, outcome: int | str, ok: bool) -> None:
        self.outcomes[outcome] += 1
        if ok:
            self.latencies.append(ended - started)
        else:
            self.failures[outcome] += 1
        self.first = min(self.first, started)
        self.last = max(self.last, ended)

    @property
    def errors(self) -> dict[str, int]:
        return {str(k): v for k, v in sorted(self.failures.items(), key=str)}

    def summary(self) -> dict:
        ordered = sorted(self.latencies)
        span = self.last - self.first if self.last > self.first else 0.0
        total = sum(self.outcomes.values())
        return {
            "requests": total,
            "ok": len(ordered),
            "errors": self.errors,
            "span_s": span,
            "rate_per_s": total / span if span else 0.0,
            "p50_ms": percentile(ordered, 50) * 1000,
            "p95_ms": percentile(ordered, 95) * 1000,
            "p99_ms": percentile(ordered, 99) * 1000,
            "max_ms": (ordered[-1] if ordered else float("nan")) * 1000,
        }


def format_table(phases: list[Phase]) -> str:
    lines = [
        "| request | n | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for phase in phases:
        s = phase.summary()
        errors = ", ".join(f"{k}: {v}" for k, v in s["errors"].items()) or "0"
        lines.append(
            f"| {phase.name} | {s['requests']} | {errors} | {s['rate_per_s']:.0f} | {s['p50_ms']:.1f} | "
            f"{s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.0f} |"
        )
    return "\n".join(lines)


# ---- processes and CPU -------------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def gunicorn_workers() -> list[int]:
    """Every gunicorn worker of every web node of the stack (one node: gunicorn.pid; several: web1.pid…)."""
    masters = [stackcpu.pidfile(name) for name in stackcpu.web_pidfiles()]
    return [child for master in masters if master for child in stackcpu.children(master)]


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over cores."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


class CpuMeter:
    """CPU used per phase by this client, the gunicorn workers, the Celery worker and the machine."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, dict[str, float]]] = []
        self._mark = self._snap()
        self._t = time.monotonic()

    def _snap(self) -> dict[str, float]:
        parts = stackcpu.reading()
        busy, _total = machine_busy_seconds()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "client": usage.ru_utime + usage.ru_stime,
            "gunicorn": parts["web"],  # every node's masters and workers
            "balancer": parts["balancer"],  # HAProxy with NODES > 1: it also compresses the pages
            "celery": parts["celery"],
            "machine": busy,
        }

    def phase(self, name: str, requests: int = 0) -> None:
        now, snap = time.monotonic(), self._snap()
        used = {k: snap[k] - self._mark[k] for k in snap}
        if requests:
            # CPU per request is steadier than req/s on a machine shared with other work.
            used["gunicorn_ms_per_request"] = used["gunicorn"] * 1000 / requests
            used["balancer_ms_per_request"] = used["balancer"] * 1000 / requests
            used["client_ms_per_request"] = used["client"] * 1000 / requests
        self.rows.append((name, now - self._t, used))
        self._mark, self._t = snap, now

    def table(self) -> str:
        lines = [
            "| phase | wall s | client CPU s | gunicorn CPU s | HAProxy CPU s | celery CPU s "
            "| machine CPU s (of 2 × wall) | gunicorn / HAProxy / client CPU ms per request |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, wall, d in self.rows:
            per = (
                f"{d['gunicorn_ms_per_request']:.2f} / {d['balancer_ms_per_request']:.2f} / "
                f"{d['client_ms_per_request']:.2f}"
                if "gunicorn_ms_per_request" in d
                else ""
            )
            lines.append(
                f"| {name} | {wall:.1f} | {d['client']:.1f} | {d['gunicorn']:.1f} | {d['balancer']:.1f} | "
                f"{d['celery']:.1f} | "
                f"{d['machine']:.1f} ({2 * wall:.0f}) | {per} |"
            )
        return "\n".join(lines)


# ---- profiling the gunicorn workers with py-spy ---------------------------------------------------------------


class Profiler:
    """py-spy sampling every gunicorn worker (--subprocesses of the master) during one phase of the run."""

    def __init__(self, phase: str | None, out_dir: Path) -> None:
        self.phase = phase
        self.out = out_dir / f"profile-{phase}.txt" if phase else None
        self.proc = None

    def begin(self, phase: str) -> None:
        master = stackcpu.pidfile(stackcpu.web_pidfiles()[0])  # one node is enough to read
        if phase != self.phase or master is None:
            return
        import subprocess

        self.out.parent.mkdir(parents=True, exist_ok=True)
        py_spy = Path(sys.executable).with_name("py-spy")
        options = f"--subprocesses --rate 50 --nonblocking --format raw --output {self.out}".split()
        self.proc = subprocess.Popen(
            [str(py_spy), "record", "--pid", str(master), *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def end(self, phase: str) -> str:
        if phase != self.phase or self.proc is None:
            return ""
        import signal

        self.proc.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        self.proc.wait(timeout=60)
        self.proc = None
        return profile_summary(self.out.read_text(), top=25)


def profile_summary(raw: str, top: int = 25) -> str:
    """Inclusive and self share of samples per function, from py-spy's raw (collapsed stack) output."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        # "function (path/to/file.py:123)" -> "function (file.py)": one entry per function, not per line
        frames = [re.sub(r"\((?:.*/)?([^/:]+):\d+\)", r"(\1)", f) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith("process ")]  # py-spy's per-process root frame
        for frame in set(frames):
            inclusive[frame] += n
        if frames:
            own[frames[-1]] += n
    if not total:
        return "no samples"
    lines = [f"{total} samples; inclusive share (function and what it calls):"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in inclusive.most_common(top)]
    lines.append("self share (the function's own code):")
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top // 2)]
    return "\n".join(lines)


# ---- database side (Django, in this process, against the stack's database) ------------------------------


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import logging

    import django

    django.setup()
    # Django's root logger is at INFO; httpx logs every request there, which would cost this client more
    # CPU than the requests themselves.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def prepare(n: int, blueprint_slug: str) -> list[str]:
    """N candidates in one organization, with no attempts left from an earlier run."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import User
    from exams.models import Attempt, Blueprint
    from organizations.models import Membership, Organization

    if not Blueprint.objects.filter(slug=blueprint_slug, is_active=True).exists():
        raise SystemExit(f"blueprint {blueprint_slug!r} does not exist in this database (start the stack first)")
    emails = [f"candidate{i:05d}@{EMAIL_DOMAIN}" for i in range(n)]
    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(slug="loadtest", defaults={"name": "負荷試験株式会社"})
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        hashed = make_password(PASSWORD)  # once: a PBKDF2 hash costs ~0.3 s, so 2,000 of them would take minutes
        User.objects.bulk_create(
            [User(email=e, display_name=f"負荷 {e[9:14]}", password=hashed) for e in emails if e not in existing],
            batch_size=1000,
        )
        user_ids = list(User.objects.filter(email__in=emails).values_list("pk", flat=True))
        members = set(Membership.objects.filter(organization=org).values_list("user_id", flat=True))
        Membership.objects.bulk_create(
            [Membership(user_id=pk, organization=org) for pk in user_ids if pk not in members], batch_size=1000
        )
        Attempt.objects.filter(user__email__endswith="@" + EMAIL_DOMAIN).delete()
    _vacuum()
    return emails


def _vacuum() -> None:
    """What autovacuum does in production between two events: the earlier run's rows are removed and the big
    tables' statistics fresh. A PostgreSQL with autovacuum off (this machine's) otherwise carries millions of dead
    rows from run to run, and each run measures a more bloated database than the last."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in ("exams_attemptitem", "exams_attempt", "exams_attemptarearesult", "django_session"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")  # a fixed list of table names


def direct_sessions(args, emails: list[str]) -> int:
    """Sessions (and CSRF cookies) for candidates without a saved one, written as django.contrib.auth.login
    would: the run then measures the exam, not PBKDF2. Saved where the form logins are, and reused."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.crypto import get_random_string

    from accounts.models import User

    saved = _load_sessions(args)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    backend = settings.AUTHENTICATION_BACKENDS[-1]
    made = 0
    for user in User.objects.filter(email__in=[e for e in emails if e not in saved]):
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        saved[user.email] = {settings.SESSION_COOKIE_NAME: session.session_key, "csrftoken": get_random_string(32)}
        made += 1
    path = _sessions_file(args)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(saved))
    return made


def attempt_counts(emails: list[str]) -> Counter:
    from django.db.models import Count

    from exams.models import Attempt

    rows = (
        Attempt.objects.filter(user__email__in=emails)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return Counter(dict(rows))


# ---- the browser side -----------------------------------------------------------------------------------

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
ATTEMPT_URL = re.compile(r"/exams/attempts/(\d+)/$")


@dataclass
class Candidate:
    email: str
    cookies: dict[str, str] = field(default_factory=dict)
    attempt_id: int = 0
    choices: list[int] = field(default_factory=list)  # number of choices per position (index 0 = position 1)
    seq: int = 0
    scored_seen: bool = False

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    @property
    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")

    def take_cookies(self, response) -> None:
        # Django marks every cookie Secure when DEBUG is off; a browser on http://localhost still sends them
        # (localhost is a secure context), but Python's cookie jar would not, so cookies are kept here.
        for header in response.headers.get_list("set-cookie"):
            pair = header.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if "max-age=0" in header.lower() or value in ('""', ""):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()


def choice_counts(page: bytes) -> list[int]:
    """Choices per question, read from the exam page the way exam.js finds its inputs."""
    sections = [chunk.split(b"</section>", 1)[0] for chunk in page.split(b'<section class="exam-q"')[1:]]
    return [section.count(b"<input type=") for section in sections]


class Browser:
    """All simulated browsers share a fixed set of keep-alive connections ("lanes"), each with its own
    cookies. Each lane is an httpx client with a one-connection pool, and requests wait for a free lane in
    an asyncio queue: httpcore's own pool scans every connection for every waiting request, which with 32
    connections and thousands of waiting saves cost this client more CPU than the server spent."""

    def __init__(self, base_url: str, connections: int) -> None:
        import httpx

        self.httpx = httpx
        self.base_url = base_url
        self.lanes: asyncio.Queue = asyncio.Queue()
        self.clients = [
            httpx.AsyncClient(
                base_url=base_url,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                timeout=httpx.Timeout(30.0),
                follow_redirects=False,
                verify=False,  # noqa: S501 - plain http on loopback: no CA bundle to load 32 times
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),  # see Candidate.take_cookies
            )
            for _ in range(connections)
        ]
        for client in self.clients:
            self.lanes.put_nowait(client)

    async def send(
        self,
        phase: Phase,
        cand: Candidate,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...] = (200,),
        scheduled: float | None = None,
        **kwargs,
    ):
        headers = kwargs.pop("headers", {})
        headers["Cookie"] = cand.cookie_header
        if method == "POST":
            headers.setdefault("Origin", self.base_url)
        started = scheduled if scheduled is not None else time.monotonic()
        client = await self.lanes.get()
        try:
            response = await client.request(method, path, headers=headers, **kwargs)
        except self.httpx.HTTPError as exc:
            phase.record(started, time.monotonic(), type(exc).__name__, ok=False)
            return None
        finally:
            self.lanes.put_nowait(client)
        ended = time.monotonic()
        cand.take_cookies(response)
        ok = response.status_code in expect
        phase.record(started, ended, response.status_code, ok)
        if not ok and len(phase.samples) < 3:
            phase.samples.append(f"{method} {path} -> {response.status_code}: {response.text[:200]!r}")
        return response if ok else None

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


async def login(browser: Browser, phases: dict[str, Phase], cand: Candidate) -> bool:
    cand.cookies.clear()
    page = await browser.send(phases["login page"], cand, "GET", "/accounts/login/")
    if page is None:
        return False
    token = CSRF_INPUT.search(page.content)
    response = await browser.send(
        phases["login POST"],
        cand,
        "POST",
        "/accounts/login/",
        expect=(302,),
        data={"username": cand.email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()},
    )
    return response is not None and "sessionid" in cand.cookies


async def start(browser: Browser, phases: dict[str, Phase], cand: Candidate, slug: str, scheduled: float) -> None:
    """The start POST answers with the exam page itself (gzip, as a browser asks), at the attempt's address
    (Content-Location)."""
    response = await browser.send(
        phases["start"],
        cand,
        "POST",
        f"/exams/{slug}/",
        expect=(200,),
        scheduled=scheduled,
        data={"csrfmiddlewaretoken": cand.csrf},
        headers={"Accept-Encoding": "gzip"},
    )
    if response is None:
        return
    match = ATTEMPT_URL.search(response.headers.get("content-location", ""))
    if not match:
        phases["start"].failures["no attempt address"] += 1
        return
    cand.attempt_id = int(match.group(1))
    cand.choices = choice_counts(response.content)


async def autosave(
    browser: Browser, phase: Phase, cand: Candidate, position: int, rng: random.Random, scheduled: float | None
) -> None:
    count = cand.choices[position - 1] if position <= len(cand.choices) else 2
    cand.seq += 1
    body = {"position": position, "selected": [rng.randrange(count)], "flagged": rng.random() < 0.1, "seq": cand.seq}
    await browser.send(
        phase,
        cand,
        "POST",
        f"/exams/attempts/{cand.attempt_id}/save",
        scheduled=scheduled,
        content=json.dumps(body),
        headers={"Content-Type": "application/json", "X-CSRFToken": cand.csrf},
    )


async def closed_loop(duration: float, concurrency: int, one_request) -> None:
    """`concurrency` loops, each sending its next request as soon as the previous one answered."""
    stop_at = time.monotonic() + duration

    async def loop(i: int) -> None:
        while time.monotonic() < stop_at:
            await one_request(i)

    await asyncio.gather(*(loop(i) for i in range(concurrency)))


async def sleep_until(t: float) -> None:
    delay = t - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


async def submit_and_watch(
    browser: Browser, phases: dict[str, Phase], cand: Candidate, scheduled: float, give_up: float
) -> None:
    """What exam.js does at zero: submit as the timer, then open the result page, which refreshes itself
    while the attempt waits for scoring, when and where its meta refresh says (it backs off with jitter)."""
    await sleep_until(scheduled)
    response = await browser.send(
        phases["submit"],
        cand,
        "POST",
        f"/exams/attempts/{cand.attempt_id}/submit",
        scheduled=scheduled,
        data={"csrfmiddlewaretoken": cand.csrf, "by": "timer"},
        headers={"Accept": "application/json"},
    )
    if response is None or "result page" not in phases:
        return
    url = base = response.json()["result"]
    await asyncio.sleep(0.8)
    while time.monotonic() < give_up:
        page = await browser.send(phases["result page"], cand, "GET", url, headers={"Accept-Encoding": "gzip"})
        if page is not None and b'http-equiv="refresh"' not in page.content:
            cand.scored_seen = True
            return
        seconds, query = meta_refresh(page.content if page is not None else b"")
        url = base + query
        await asyncio.sleep(seconds)


META_REFRESH = re.compile(rb'http-equiv="refresh" content="(\d+)(?:; url=([^"]*))?"')


def meta_refresh(html: bytes) -> tuple[float, str]:
    """(seconds, query) of a page's <meta http-equiv="refresh" content="5; url=?wait=2">; 3 s and the same
    URL when there is none (a failed request)."""
    match = META_REFRESH.search(html)
    if match is None:
        return 3.0, ""
    return float(match.group(1)), (match.group(2) or b"").decode()


# ---- the run ------------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, emails: list[str]) -> dict:
    rng = random.Random(args.seed)
    names = [
        "login page",
        "login POST",
        "start",
        "ping (capacity)",
        "autosave (capacity)",
        "autosave (exam pace)",
        "submit",
    ]
    if not args.no_results:
        names.append("result page")
    phases = {name: Phase(name) for name in names}
    cpu = CpuMeter()
    profiler = Profiler(args.profile, ROOT / "bench" / "out")
    browser = Browser(args.url, args.connections)
    candidates = [Candidate(email) for email in emails]
    figures: dict = {"candidates": len(candidates), "connections": args.connections}

    # 1. Log in through the form (PBKDF2 makes this the most CPU per request of the whole day); saved
    # sessions are reused on the next run unless --fresh-logins.
    saved = _load_sessions(args) if not args.fresh_logins else {}
    for cand in candidates:
        cand.cookies.update(saved.get(cand.email, {}))
    fresh = [c for c in candidates if "sessionid" not in c.cookies]
    sem = asyncio.Semaphore(args.login_concurrency)

    async def log_in(cand: Candidate) -> None:
        async with sem:
            await login(browser, phases, cand)

    t = time.monotonic()
    await asyncio.gather(*(log_in(c) for c in fresh))
    figures["logins"] = {"fresh": len(fresh), "seconds": time.monotonic() - t}
    _save_sessions(args, candidates)
    cpu.phase("login" if fresh else "login (saved sessions)")

    # 2. Everyone starts within the window, in random order, at evenly spread moments.
    order = list(candidates)
    rng.shuffle(order)
    t0 = time.monotonic() + 1
    step = args.start_window / len(order)

    async def start_at(i: int, cand: Candidate) -> None:
        await sleep_until(t0 + i * step)
        await start(browser, phases, cand, args.blueprint, t0 + i * step)

    profiler.begin("start")
    await asyncio.gather(*(start_at(i, c) for i, c in enumerate(order)))
    figures["profile"] = profiler.end("start")
    figures["start_done_s"] = time.monotonic() - t0
    started = [c for c in candidates if c.attempt_id]
    figures["started"] = len(started)
    cpu.phase("start", requests=len(started))  # one request each: the POST answers with the page
    if not started:
        raise SystemExit("no attempt started; see the errors above and .stack/web.log")

    # 3. Capacity at the same concurrency: /ping, then autosave.
    async def ping(i: int) -> None:
        await browser.send(phases["ping (capacity)"], started[i % len(started)], "GET", "/ping")

    profiler.begin("ping")
    await closed_loop(args.capacity_seconds, args.connections, ping)
    figures["profile"] = profiler.end("ping") or figures["profile"]
    cpu.phase("capacity: ping", requests=sum(phases["ping (capacity)"].outcomes.values()))
    positions = {id(c): 0 for c in started}

    async def save_fast(i: int) -> None:
        cand = started[rng.randrange(len(started))]
        positions[id(cand)] = positions[id(cand)] % len(cand.choices or [0]) + 1
        await autosave(browser, phases["autosave (capacity)"], cand, positions[id(cand)], rng, None)

    profiler.begin("autosave")
    await closed_loop(args.capacity_seconds, args.connections, save_fast)
    figures["profile"] = profiler.end("autosave") or figures["profile"]
    cpu.phase("capacity: autosave", requests=sum(phases["autosave (capacity)"].outcomes.values()))

    # 4. The exam at `speedup` times the real pace (a G検定 candidate saves ~1.9 times a minute), for
    # `answer_seconds`: each candidate answers its questions in order at random (Poisson) moments, and each
    # save is sent at its moment (open loop).
    events = []
    per_second = args.speedup * SAVES_PER_QUESTION * 200 / EXAM_SECONDS
    for cand in started:
        tt, k = rng.expovariate(per_second), 0
        while tt < args.answer_seconds:
            events.append((tt, k % len(cand.choices) + 1, cand))
            tt, k = tt + rng.expovariate(per_second), k + 1
    events.sort(key=lambda e: e[0])
    figures["offered_save_rate"] = len(events) / args.answer_seconds
    t1 = time.monotonic() + 1
    tasks = set()
    lateness = []
    for offset, position, cand in events:
        at = t1 + offset
        now = time.monotonic()
        if at > now:
            await asyncio.sleep(at - now)
        else:
            lateness.append(now - at)
        task = asyncio.create_task(autosave(browser, phases["autosave (exam pace)"], cand, position, rng, at))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    figures["dispatch_late_events"] = len(lateness)
    figures["dispatch_late_max_ms"] = max(lateness, default=0) * 1000
    cpu.phase("exam pace autosave", requests=len(events))

    # 5. The deadline: everyone submits at the same moment; the database is polled until all are scored.
    deadline = time.monotonic() + 1
    give_up = deadline + args.scoring_timeout
    profiler.begin("submit")
    watch = asyncio.gather(*(submit_and_watch(browser, phases, c, deadline, give_up) for c in started))
    scored_after = None
    progress = []
    await sleep_until(deadline)
    while time.monotonic() < give_up:
        counts = await asyncio.to_thread(attempt_counts, emails)
        elapsed = time.monotonic() - deadline
        progress.append((round(elapsed, 1), dict(counts)))
        if counts.get("scored", 0) >= len(started):
            scored_after = elapsed
            break
        await asyncio.sleep(1)
    figures["all_scored_after_s"] = scored_after
    figures["scoring_progress"] = progress[:: max(1, len(progress) // 20)]
    await watch
    figures["profile"] = profiler.end("submit") or figures["profile"]
    cpu.phase("submit + scoring")
    await browser.close()

    figures["gunicorn_worker_rss_mb"] = [round(rss_mb(p), 1) for p in gunicorn_workers()]
    workers = [pid for name in stackcpu.worker_pidfiles() if (pid := stackcpu.pidfile(name))]
    figures["celery_rss_mb"] = [round(rss_mb(p), 1) for w in workers for p in (w, *stackcpu.children(w))]
    figures["phases"] = {name: p.summary() for name, p in phases.items()}
    figures["cpu"] = cpu.table()
    figures["table"] = format_table([p for p in phases.values() if p.outcomes])
    figures["error_samples"] = [line for p in phases.values() for line in p.samples]
    return figures


def _sessions_file(args) -> Path:
    return ROOT / ".stack" / f"loadtest-sessions-{args.url.split('//')[1].replace(':', '-')}.json"


def _load_sessions(args) -> dict:
    try:
        return json.loads(_sessions_file(args).read_text())
    except (OSError, ValueError):
        return {}


def _save_sessions(args, candidates: list[Candidate]) -> None:
    path = _sessions_file(args)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({c.email: c.cookies for c in candidates if "sessionid" in c.cookies}))


def report(figures: dict, args: argparse.Namespace) -> str:
    p = figures["phases"]
    ping_rate = p["ping (capacity)"]["rate_per_s"]
    save_rate = p["autosave (capacity)"]["rate_per_s"]
    rss = figures["gunicorn_worker_rss_mb"]
    lines = [
        f"Exam day: {figures['candidates']} candidates, blueprint {args.blueprint}, "
        f"start window {args.start_window} s, "
        f"answering {args.answer_seconds} s at {args.speedup:g}× the real pace, {args.connections} connections, "
        "one client process",
        "",
        figures["table"],
        "",
        f"logins: {figures['logins']['fresh']} through the form in {figures['logins']['seconds']:.1f} s",
        f"starts: {figures['started']} of {figures['candidates']} within {figures['start_done_s']:.1f} s",
        f"capacity: /ping {ping_rate:.0f} req/s, autosave {save_rate:.0f} req/s = {save_rate / ping_rate:.0%} of /ping"
        if ping_rate
        else "capacity: /ping failed",
        f"exam pace ({args.speedup:g}× real): offered {figures['offered_save_rate']:.0f} saves/s, achieved "
        f"{p['autosave (exam pace)']['rate_per_s']:.0f}/s; {figures['dispatch_late_events']} saves dispatched late "
        f"(client behind schedule, max {figures['dispatch_late_max_ms']:.0f} ms)",
        f"all scored after: {figures['all_scored_after_s']:.1f} s"
        if figures["all_scored_after_s"] is not None
        else f"NOT all scored within {args.scoring_timeout} s: {figures['scoring_progress'][-1:]}",
        f"gunicorn worker RSS MB: {rss} (max {max(rss, default=0):.0f})",
        f"celery worker RSS MB: {figures['celery_rss_mb']}",
        *(f"unexpected: {line}" for line in figures["error_samples"]),
        "",
        figures["cpu"],
        *(["", f"py-spy, gunicorn workers, phase {args.profile}:", figures["profile"]] if args.profile else []),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("MOSHI_STACK_URL", "http://127.0.0.1:8100"))
    parser.add_argument("--candidates", type=int, default=int(os.environ.get("LOADTEST_CANDIDATES", 2000)))
    parser.add_argument("--blueprint", default="g-kentei-full")
    parser.add_argument("--start-window", type=float, default=60.0, help="seconds over which everyone starts")
    parser.add_argument("--answer-seconds", type=float, default=180.0, help="how long the answering phase lasts")
    parser.add_argument(
        "--speedup", type=float, default=2.0, help="saves per candidate per second, as a multiple of the real pace"
    )
    parser.add_argument("--capacity-seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32, help="the client's connection pool")
    parser.add_argument("--login-concurrency", type=int, default=6)
    parser.add_argument("--fresh-logins", action="store_true", help="log everyone in again")
    parser.add_argument(
        "--direct-sessions",
        action="store_true",
        help="create the candidates' sessions in the database instead of logging in through the form (logins are "
        "measured apart: ~0.35 s of PBKDF2 each would make a 10,000-candidate day a login test)",
    )
    parser.add_argument("--no-results", action="store_true", help="do not open result pages after submitting")
    parser.add_argument("--scoring-timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--profile",
        choices=["start", "ping", "autosave", "submit"],
        help="sample every gunicorn worker with py-spy during this phase (bench/out/profile-PHASE.txt)",
    )
    args = parser.parse_args(argv)
    if not re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?$", args.url):
        raise SystemExit("the load test runs against loopback only (http://127.0.0.1:PORT)")

    try:
        import httpx

        httpx.get(args.url + "/healthz", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        raise SystemExit(f"the stack at {args.url} is not healthy ({exc}): start it with `make stack-start`") from None
    django_setup()
    t = time.monotonic()
    emails = prepare(args.candidates, args.blueprint)
    print(f"prepared {len(emails)} candidates in {time.monotonic() - t:.1f} s", flush=True)
    if args.direct_sessions:
        t = time.monotonic()
        made = direct_sessions(args, emails)
        print(f"created {made} sessions directly in {time.monotonic() - t:.1f} s", flush=True)
    figures = asyncio.run(run(args, emails))
    print(report(figures, args))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
