"""Private PostgreSQL, Redis, gunicorn and Celery processes for the fault drills.

Every drill that kills or restarts something does it to processes started here, on their own ports
(PostgreSQL 55400-55499, Redis 56300-56399, gunicorn 8200-8299), never to the shared services
other test runs use. Each process runs in its own session, so a kill reaches it and its children
and nothing else; teardown stops exactly the processes started here, by their ids.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Debian's PostgreSQL server binaries (the newest installed), or MOSHI_PG_BIN.
_INSTALLED = sorted(
    Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0
)
PG_BIN = Path(os.environ.get("MOSHI_PG_BIN") or (_INSTALLED[-1] if _INSTALLED else "/usr/lib/postgresql/15/bin"))


class ServiceMissing(Exception):
    """A binary the drills need is not installed."""


def free_port(low: int, high: int) -> int:
    for port in range(low + os.getpid() % (high - low), high + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    for port in range(low, high + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


def wait_for(check, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout:.0f} s")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Process:
    """One long-running child in its own session, its output in a log file."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict | None = None, cwd: Path = ROOT):
        self.name, self.args, self.log, self.env, self.cwd = name, args, log, env, cwd
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Process":
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.args, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.alive():
            try:
                os.killpg(self.pid, sig)  # the session started for this process: it and its children only
            except ProcessLookupError:
                pass

    def kill9(self) -> None:
        self.signal_group(signal.SIGKILL)
        if self.proc:
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        if not self.alive():
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.signal_group(signal.SIGKILL)

    def children(self) -> list[int]:
        """Direct children (gunicorn workers, Celery pool processes), read from /proc."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.pid:
                found.append(int(entry.name))
        return sorted(found)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class PrivatePostgres:
    """Its own cluster (initdb into a temp dir, trust auth, loopback only)."""

    def __init__(self, base: Path):
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not (PG_BIN / tool).exists():
                raise ServiceMissing(f"{PG_BIN / tool} (PostgreSQL server binaries) is not installed")
        # Its own directory under /tmp (not pytest's, which only root may enter), owned by whoever runs it.
        self.dir = Path(tempfile.mkdtemp(prefix="moshi-faults-pg-")) / "data"
        self.port = free_port(55400, 55499)
        self.log = self.dir.parent / "postgres.log"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_owner, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:1])} failed: {done.stdout}{done.stderr}")

    def init(self) -> None:
        self.dir.mkdir()
        if self.as_owner:
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        with open(self.dir / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                "max_connections = 60\nshared_buffers = 32MB\n"
            )

    def start(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.dir / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", mode, "-w", "-t", "60", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.dir.parent, ignore_errors=True)

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def connect(self, db: str):
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=db, connect_timeout=5)
        conn.autocommit = True
        return conn


class PrivateRedis:
    """Its own redis-server, with the append-only file production runs with (docker-compose.yml)."""

    def __init__(self, base: Path):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise ServiceMissing("redis-server is not installed")
        self.port = free_port(56300, 56399)
        self.dir = base / "redis"
        self.dir.mkdir()
        self.process: Process | None = None

    def start(self) -> None:
        self.process = Process(
            "redis",
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--protected-mode",
                "no",
            ],
            self.dir / "redis.log",
        ).start()
        wait_for(lambda: port_open(self.port), 20, "redis-server")

    def stop(self) -> None:
        if self.process:
            self.process.stop()
            wait_for(lambda: not port_open(self.port), 10, "redis-server to stop")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"
