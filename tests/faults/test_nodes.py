"""Fault drill f: more than one web node (make stack NODES=…, docs/scaling.md), and one of them killed whole.

On the drills' private PostgreSQL and Redis: PgBouncer in transaction pooling, two gunicorn nodes (three in
`make faults`), each its own master and process group, and HAProxy in front, configured by config/multinode.py
as ops/stack.sh configures them. Candidates log in, start and autosave through HAProxy; one node is killed with
SIGKILL to its whole process group (master and workers, as when its machine dies); they carry on through the
others, nothing acknowledged is lost, and every attempt submits and is scored exactly once."""

import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg2
import pytest

from config.multinode import haproxy_cfg, pgbouncer_ini
from tests.conftest import services_required
from tests.faults.client import Browser
from tests.faults.conftest import DB, LONG, SCALE, WEB_WORKERS, Stack
from tests.faults.services import BIN, ROOT, Process, free_port, wait_for
from tests.faults.test_drills import (
    Candidate,
    autosave_for,
    expected_correct,
    lost_answers,
    ms,
    report,
    score_writes,
    totals,
    wait_scored,
)

pytestmark = [pytest.mark.faults]

NODES = 3 if LONG else 2


class Nodes:
    """PgBouncer, the gunicorn nodes and HAProxy, beside the private stack's PostgreSQL, Redis and Celery."""

    def __init__(self, stack: Stack):
        self.stack = stack
        # Its own directory under /tmp (pytest's is root's only), readable by PgBouncer's user.
        self.dir = Path(tempfile.mkdtemp(prefix="moshi-faults-nodes-"))
        self.pgbouncer_port = free_port(28200, 28249)
        self.front_port = free_port(28250, 28269)
        self.node_ports = []
        for _ in range(NODES):
            port = free_port(28270, 28299)
            while port in self.node_ports:
                port = free_port(port + 1, 28299)
            self.node_ports.append(port)
        self.url = f"http://127.0.0.1:{self.front_port}"
        self.env = {
            **stack.env,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pgbouncer_port}/{DB}",
            "DATABASE_POOLER": "pgbouncer",
            "AXES_PROXY_COUNT": "1",
            "GZIP_IN_APP": "false",  # as ops/stack.sh runs the nodes: HAProxy compresses
        }
        (self.dir / "userlist.txt").write_text('"postgres" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            pgbouncer_ini(self.pgbouncer_port, "127.0.0.1", stack.pg.port, str(self.dir / "userlist.txt"))
        )
        (self.dir / "haproxy.cfg").write_text(haproxy_cfg(self.front_port, self.node_ports, maxconn_per_node=8))
        as_user = []
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            shutil.chown(self.dir, "postgres")
            as_user = ["-u", "postgres"]
        log = stack.base
        self.pgbouncer = Process(
            "pgbouncer", ["pgbouncer", *as_user, str(self.dir / "pgbouncer.ini")], log / "pgbouncer.log"
        )
        self.web = [
            Process(
                f"node{n}",
                [
                    str(BIN / "gunicorn"),
                    "config.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(WEB_WORKERS),
                    "--threads",
                    "2",
                    "--timeout",
                    "30",
                    "--graceful-timeout",
                    "5",
                ],
                log / f"node{n}.log",
                env=self.env,
            )
            for n, port in enumerate(self.node_ports, start=1)
        ]
        self.haproxy = Process("haproxy", ["haproxy", "-db", "-f", str(self.dir / "haproxy.cfg")], log / "haproxy.log")

    def start(self) -> None:
        self.pgbouncer.start()
        wait_for(lambda: self.pgbouncer_admin("SHOW VERSION"), 20, "PgBouncer")
        for node in self.web:
            node.start()
        self.haproxy.start()
        for port in self.node_ports:
            wait_for(lambda p=port: healthz(f"http://127.0.0.1:{p}") == 200, 90, f"node :{port} /healthz")
        wait_for(lambda: healthz(self.url) == 200, 30, "HAProxy /healthz")

    def stop(self) -> None:
        for process in (self.haproxy, *self.web, self.pgbouncer):
            process.signal_group(signal.SIGTERM)
        for process in (self.haproxy, *self.web, self.pgbouncer):
            process.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def pgbouncer_admin(self, command: str) -> list[dict]:
        conn = psycopg2.connect(
            host="127.0.0.1", port=self.pgbouncer_port, user="postgres", dbname="pgbouncer", connect_timeout=5
        )
        conn.autocommit = True  # the admin console accepts no transactions
        try:
            with conn.cursor() as cursor:
                cursor.execute(command)
                names = [c.name for c in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            conn.close()

    def transactions_pooled(self) -> int:
        """Transactions PgBouncer passed to the drills' database so far."""
        return sum(int(row["total_xact_count"]) for row in self.pgbouncer_admin("SHOW STATS") if row["database"] == DB)

    def candidate(self) -> Browser:
        browser = Browser(self.url)
        browser.login(next(self.stack.logins), self.stack.data["password"])
        return browser

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail(15)}" for p in (self.haproxy, *self.web, self.pgbouncer))


def healthz(url: str) -> int:
    return Browser(url, timeout=3).request("GET", "/healthz").status


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def nodes(stack):
    missing = [tool for tool in ("haproxy", "pgbouncer") if not shutil.which(tool)]
    if missing:
        if services_required():
            pytest.fail(
                f"MOSHI_REQUIRE_SERVICES=1 but the node-kill drill needs {', '.join(missing)} (apt-get install)"
            )
        pytest.skip(f"the node-kill drill needs {', '.join(missing)}")
    layout = Nodes(stack)
    try:
        layout.start()
    except BaseException:
        print(layout.logs())
        layout.stop()
        raise
    yield layout
    layout.stop()


def test_django_behind_pgbouncer_in_transaction_pooling(up, nodes):
    """The settings DATABASE_POOLER=pgbouncer chooses work through a real PgBouncer in transaction mode:
    .iterator() (hr.dashboard's export) outside a transaction, the UTC time zone Django sets on its connection
    (seen in later transactions, whatever server connection PgBouncer lends), and a transaction's atomicity."""
    code = (
        "import django, json; django.setup()\n"
        "from django.db import connection, transaction\n"
        "from accounts.models import User\n"
        "emails = [u.email for u in User.objects.order_by('id').iterator(chunk_size=3)]\n"
        "zones = []\n"
        "for _ in range(5):\n"
        "    with connection.cursor() as c:\n"
        "        c.execute('SHOW TIME ZONE'); zones.append(c.fetchone()[0])\n"
        "with transaction.atomic():\n"
        "    with connection.cursor() as c:\n"
        "        c.execute('CREATE TEMP TABLE t (x int) ON COMMIT DROP'); c.execute('INSERT INTO t VALUES (1)')\n"
        "        c.execute('SELECT count(*) FROM t'); inside = c.fetchone()[0]\n"
        "print(json.dumps({'users': len(emails), 'distinct': len(set(emails)), 'zones': sorted(set(zones)),\n"
        "                  'cursors': connection.settings_dict['DISABLE_SERVER_SIDE_CURSORS'], 'inside': inside}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=nodes.env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    users = nodes.stack.query("SELECT count(*) FROM accounts_user")[0][0]
    assert seen == {"users": users, "distinct": users, "zones": ["UTC"], "cursors": True, "inside": 1}


def test_haproxy_compresses_the_exam_page_the_nodes_do_not(up, nodes):
    """Compression is the balancer's work: the exam page comes gzipped through HAProxy and plain from a node."""
    browser = nodes.candidate()
    attempt = browser.start(up.data["mini"])
    path = f"/exams/attempts/{attempt}/"
    through = browser.request("GET", path, headers={"Accept-Encoding": "gzip"})
    assert through.status == 200 and through.header("Content-Encoding") == "gzip"
    assert b'class="exam-q"' in gzip.decompress(through.body)
    direct = Browser(f"http://127.0.0.1:{nodes.node_ports[0]}", cookies=browser.cookies)
    plain = direct.request("GET", path, headers={"Accept-Encoding": "gzip"})
    assert plain.status == 200 and plain.header("Content-Encoding") is None and b'class="exam-q"' in plain.body


def test_f_a_web_node_killed_mid_exam_candidates_carry_on_through_the_others(up, nodes):
    stack = up
    candidates = []
    for n in range(SCALE.candidates):
        browser = nodes.candidate()
        candidates.append(Candidate(browser, browser.start(stack.data["mini"]), random.Random(600 + n)))
    pooled_before = nodes.transactions_pooled()
    victim_index = 0
    victim = nodes.web[victim_index]
    victim_name = f"node{victim_index + 1}"
    killed = {}

    def acknowledged_by(name: str) -> int:
        return sum(c.served_by[name] for c in candidates)

    def kill_a_node():
        # Once the victim has acknowledged answers of its own: then its whole process group, master and workers.
        wait_for(lambda: acknowledged_by(victim_name) >= 3, 60, f"{victim_name} to serve autosaves")
        time.sleep(SCALE.seconds / 3)
        killed["pgid"] = victim.pid
        victim.kill9()
        killed["at"] = time.monotonic()
        time.sleep(0.2)  # a reply read just before the kill is counted by its candidate's thread
        killed["acked_by_victim"] = acknowledged_by(victim_name)
        killed["acked_total"] = sum(sum(c.served_by.values()) for c in candidates)

    def carried_on() -> bool:
        if "acked_total" not in killed:
            return False
        after = sum(sum(c.served_by.values()) for c in candidates) - killed["acked_total"]
        return after >= 4 * len(candidates)  # every candidate's answers kept being acknowledged

    thread = threading.Thread(target=kill_a_node)
    thread.start()
    try:
        autosave_for(candidates, SCALE.seconds, until=carried_on)
    finally:
        thread.join()
    assert "at" in killed, f"the node was never killed\n{nodes.logs()}"

    statuses, latencies = totals(candidates)
    lost = lost_answers(stack, candidates)
    served = sum((c.served_by for c in candidates), start=Counter())
    # Everyone submits through HAProxy, and every attempt is scored exactly once.
    attempt_ids = [c.attempt for c in candidates]
    submits = []
    for c in candidates:
        reply = c.browser.submit(c.attempt)
        while reply.status >= 500:  # exam.js sends a submit again until it is answered
            time.sleep(0.5)
            reply = c.browser.submit(c.attempt)
        submits.append(reply.status)
    waited = wait_scored(stack, attempt_ids, timeout=60 if not LONG else 300)
    writes = score_writes(stack, attempt_ids)
    wrong = {
        attempt_id: correct
        for attempt_id, correct in stack.query(
            "SELECT id, correct_count FROM exams_attempt WHERE id = ANY(%s)", [attempt_ids]
        )
        if correct != expected_correct(stack, attempt_id)
    }
    pooled = nodes.transactions_pooled() - pooled_before
    failed = {k: v for k, v in statuses.items() if k != 200}
    report(
        "f. web node killed (SIGKILL to its process group) behind HAProxy",
        nodes=NODES,
        candidates=len(candidates),
        acknowledged_by_node=dict(sorted(served.items(), key=str)),
        victim=victim_name,
        acknowledged_by_victim_before_kill=killed["acked_by_victim"],
        acknowledged_after_kill=sum(served.values()) - killed["acked_total"],
        errors_then_retried=failed,
        positions_checked=sum(len(c.acked) for c in candidates),
        lost=len(lost),
        submits=sorted(set(submits)),
        seconds_to_all_scored=f"{waited:.1f}",
        score_writes_per_attempt=sorted(set(writes.values())),
        transactions_through_pgbouncer=pooled,
        p50=ms(latencies, 50),
        p95=ms(latencies, 95),
        p99=ms(latencies, 99),
    )
    assert not group_alive(killed["pgid"]), "a process of the killed node survived"
    assert killed["acked_by_victim"] >= 3, "the killed node had not served anyone: the drill proves nothing"
    assert served[victim_name] == killed["acked_by_victim"], "the killed node acknowledged answers after its death"
    assert carried_on(), f"candidates did not carry on through the other nodes\n{nodes.logs()}"
    assert not lost, lost[:5]
    assert set(submits) == {200}, submits
    assert all(writes[a] == 1 for a in attempt_ids), f"scored_at written other than once: {writes}"
    assert not wrong, wrong
    assert pooled > 0, "no transaction went through PgBouncer"
    # What a client saw while HAProxy noticed the dead node: a few errors at most, each retried, none a 4xx.
    assert all(not isinstance(k, int) or k >= 500 for k in failed), failed
