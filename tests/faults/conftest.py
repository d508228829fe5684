"""One private stack for the fault drills: PostgreSQL, Redis, gunicorn, a Celery worker and beat.

Short by default (the normal suite and CI); `MOSHI_FAULTS=long` (make faults) runs more candidates for
longer, with beat on production's one-minute schedule and no clock moved."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import services_required
from tests.faults.client import Browser
from tests.faults.services import BIN, ROOT, PrivatePostgres, PrivateRedis, Process, ServiceMissing, free_port, wait_for

LONG = os.environ.get("MOSHI_FAULTS") == "long"
DB = "moshi_faults"
WEB_WORKERS = 2  # gunicorn workers per web node


@dataclass(frozen=True)
class Scale:
    candidates: int  # autosaving at once in drills a and d
    seconds: float  # of autosave traffic in drills a and d
    kill_every: float  # seconds between gunicorn worker kills in drill a
    scoring_attempts: int  # submitted at once in drill b
    outage: float  # seconds PostgreSQL or Redis stays down
    beat_seconds: float | None  # None: production's schedule
    move_clock: bool  # short drills move the sweeper's clock instead of waiting its minute


SCALE = Scale(20, 60, 3, 40, 10, None, False) if LONG else Scale(4, 5, 1.2, 8, 2, 1, True)

# Every write of scored_at, recorded by a trigger: "scored exactly once" is one row per attempt.
AUDIT_SQL = """
CREATE TABLE faults_score_writes (attempt_id bigint, scored_at timestamptz, at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION faults_record_score() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO faults_score_writes (attempt_id, scored_at) VALUES (NEW.id, NEW.scored_at); RETURN NEW; END $$;
CREATE TRIGGER faults_record_score AFTER UPDATE ON exams_attempt FOR EACH ROW
  WHEN (OLD.scored_at IS DISTINCT FROM NEW.scored_at) EXECUTE FUNCTION faults_record_score();
"""


class Stack:
    def __init__(self, base: Path):
        self.base = base
        self.pg = PrivatePostgres(base)
        self.redis = PrivateRedis(base)
        self.web_port = free_port(8200, 8299)
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))},
            "DJANGO_SETTINGS_MODULE": "tests.faults.settings",
            "DATABASE_URL": self.pg.url(DB),
            "REDIS_URL": self.redis.url(0),
            "DEBUG": "false",
            "SECRET_KEY": "faults-" + os.urandom(16).hex(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, as ops/stack.sh runs it
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
            # A worker that stops taking work stops itself (ops.watchdog), sooner than production's 180 s; above
            # the worker's reconnect back-off after drill c's Redis outage, so a reconnecting worker is left alone.
            "WORKER_STALL_SECONDS": "60" if LONG else "15",
            "PYTHONUNBUFFERED": "1",
        }
        if SCALE.beat_seconds:
            self.env["FAULT_BEAT_SECONDS"] = str(SCALE.beat_seconds)
        self.web = self._process(
            "web",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(WEB_WORKERS),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
        )
        self.workers_started = 0
        self.worker_restarts = 0  # by supervise()
        self.worker = self._worker()
        self.beat = self._process(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=info",
                "--schedule",
                str(base / "celerybeat-schedule"),
            ],
        )
        self.data: dict = {}
        self._db = None

    def _process(self, name: str, args: list[str]) -> Process:
        return Process(name, args, self.base / f"{name}.log", env=self.env)

    def _worker(self) -> Process:
        self.workers_started += 1
        return self._process(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency=2",
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                f"--hostname=faults{self.workers_started}@%h",
            ],
        )

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def prepare(self) -> None:
        self.pg.init()
        self.pg.start()
        self.pg.connect("postgres").cursor().execute(f"CREATE DATABASE {DB}")
        self.redis.start()
        self.manage("manage.py", "migrate", "--noinput", "-v", "0")
        self.db().cursor().execute(AUDIT_SQL)
        # drills a, d and the node kill, b, c and e, the balancer's compression; the restore drills (test_restore.py)
        logins = 3 * SCALE.candidates + SCALE.scoring_attempts + 5 + 2 * max(4, SCALE.candidates) + 1  # + drill h
        self.data = json.loads(self.manage("-m", "tests.faults.seed", str(logins)).splitlines()[-1])
        self.logins = iter(self.data["emails"])

    def start(self) -> None:
        self.web.start()
        self.start_worker(restart=False)
        self.beat.start()
        self.wait_web()

    def wait_web(self, timeout: float = 60) -> None:
        wait_for(lambda: Browser(self.url, timeout=2).request("GET", "/healthz").status == 200, timeout, "/healthz 200")

    def start_worker(self, restart: bool = True) -> None:
        if restart:
            self.worker = self._worker()
        offset = self.worker.log.stat().st_size if self.worker.log.exists() else 0
        self.worker.start()

        def ready():
            with open(self.worker.log, "rb") as log:
                log.seek(offset)
                return b" ready." in log.read()

        wait_for(ready, 60, "the Celery worker to be ready")

    @property
    def worker_name(self) -> str:
        return f"faults{self.workers_started}@{socket.gethostname()}"  # what --hostname=faultsN@%h names it

    def supervise(self) -> None:
        """What docker-compose's restart policy does: a worker that has exited is started again."""
        if not self.worker.alive():
            self.worker_restarts += 1
            self.start_worker()

    def stop(self) -> None:
        processes = (self.beat, self.worker, self.web)
        for process in processes:  # all at once: each one's graceful shutdown overlaps the others'
            process.signal_group(signal.SIGTERM)
        for process in processes:
            process.stop()
        self.redis.stop()
        if self._db is not None:
            self._db.close()
        self.pg.stop()
        self.pg.remove()

    def db(self):
        """A connection to the private database, opened again after PostgreSQL restarted."""
        if self._db is not None:
            try:
                self._db.cursor().execute("SELECT 1")
                return self._db
            except Exception:
                self._db = None
        self._db = wait_for(lambda: self.pg.connect(DB), 30, "the private PostgreSQL")
        return self._db

    def query(self, sql: str, params=()) -> list[tuple]:
        cursor = self.db().cursor()
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    def candidate(self) -> Browser:
        browser = Browser(self.url)
        browser.login(next(self.logins), self.data["password"])
        return browser

    def logs(self) -> str:
        # The worker last and longest: a failure report is cut in the middle, and its end is what a drill needs
        # (did the worker reconnect to the broker, is it still receiving tasks).
        return "\n".join(
            f"--- {p.name}\n{p.tail(lines)}" for p, lines in ((self.web, 25), (self.beat, 15), (self.worker, 60))
        )


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    base = tmp_path_factory.mktemp("faults")
    try:
        stack = Stack(base)
    except ServiceMissing as exc:
        if services_required():
            pytest.fail(f"MOSHI_REQUIRE_SERVICES=1 but the fault drills cannot run: {exc}")
        pytest.skip(f"fault drills need private services: {exc}")
    started = time.monotonic()
    try:
        stack.prepare()
        stack.start()
    except BaseException:
        stack.stop()
        raise
    print(
        f"\n[faults] private stack up in {time.monotonic() - started:.1f} s: {stack.url}, "
        f"PostgreSQL :{stack.pg.port}, Redis :{stack.redis.port}"
    )
    yield stack
    stack.stop()


@pytest.fixture
def up(stack):
    """The stack as each drill expects to find it, whatever the previous drill did to it."""
    if not stack.redis.process.alive():
        stack.redis.start()
    if not (stack.pg.dir / "postmaster.pid").exists():
        stack.pg.start()
    if not stack.worker.alive():
        stack.start_worker()
    for process in (stack.web, stack.beat):
        if not process.alive():
            process.start()
    stack.wait_web()
    yield stack
