"""CPU seconds used so far by each part of the running stack (ops/stack.sh), one node or several.

    ops/stack.sh exec .venv/bin/python bench/stackcpu.py > before.json
    make loadtest
    ops/stack.sh exec .venv/bin/python bench/stackcpu.py --since before.json

Web is every gunicorn master and worker of every node (.stack/gunicorn.pid or web1.pid…), balancer HAProxy,
pooler PgBouncer, celery every worker process and its pool, beat, and database the PostgreSQL backends
connected to the stack's database (PostgreSQL is shared with other work, so only those backends count; one
that ended between the two readings is missed). For docs/scaling.md: CPU per request kind comes from the
load test's own table on one node, this gives the whole of each part on N nodes.
"""

import argparse
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".stack"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu(pid: int, with_reaped_children: bool = False) -> float:
    """utime + stime (and, for a master, what its reaped children used: workers gunicorn replaced)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    used = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        used += int(fields[13]) + int(fields[14])
    return used / TICKS


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def pidfile(name: str) -> int | None:
    try:
        return int((STATE / name).read_text().strip())
    except (OSError, ValueError):
        return None


def tree_cpu(names: list[str]) -> float:
    total = 0.0
    for name in names:
        pid = pidfile(name)
        if pid:
            total += cpu(pid, with_reaped_children=True) + sum(cpu(child) for child in children(pid))
    return total


def database_cpu() -> float:
    import psycopg2

    url = os.environ["DATABASE_URL"].rsplit("/", 1)
    port = int(os.environ.get("STACK_PG_PORT", "5432"))  # PostgreSQL itself, not PgBouncer
    conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    with conn, conn.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [url[1]])
        pids = [pid for (pid,) in cursor.fetchall()]
    conn.close()
    return sum(cpu(pid) for pid in pids)


def web_pidfiles() -> list[str]:
    """The gunicorn masters' pid files: one node's gunicorn.pid, or web1.pid… with NODES > 1."""
    return sorted(p.name for p in STATE.glob("web*.pid")) or ["gunicorn.pid"]


def worker_pidfiles() -> list[str]:
    """The Celery worker processes' pid files (worker.pid, worker2.pid…)."""
    return sorted(p.name for p in STATE.glob("worker*.pid"))


def reading() -> dict:
    webs, workers = web_pidfiles(), worker_pidfiles()
    return {
        "web": tree_cpu(webs),
        "balancer": tree_cpu(["haproxy.pid"]),
        "pooler": tree_cpu(["pgbouncer.pid"]),
        "celery": tree_cpu(workers),
        "beat": tree_cpu(["beat.pid"]),
        "database": database_cpu(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--since", type=Path, help="an earlier reading: print the CPU used since")
    args = parser.parse_args()
    now = reading()
    if args.since:
        before = json.loads(args.since.read_text())
        now = {part: round(now[part] - before.get(part, 0.0), 2) for part in now}
    print(json.dumps(now))


if __name__ == "__main__":
    main()
