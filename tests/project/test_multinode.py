"""The HAProxy and PgBouncer configuration of make stack NODES=… and the node-kill drill (config/multinode.py),
checked by the real binaries. The drill (tests/faults/test_nodes.py) runs them."""

import select
import shutil
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from config.multinode import haproxy_cfg, pgbouncer_ini
from tests.conftest import services_required


def binary(name: str) -> str:
    path = shutil.which(name)
    if not path:
        if services_required():
            pytest.fail(f"MOSHI_REQUIRE_SERVICES=1 but {name} is not installed")
        pytest.skip(f"{name} is not installed")
    return path


def test_haproxy_accepts_the_configuration_and_balances_every_node(tmp_path):
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_cfg(28300, [28301, 28302, 28303], maxconn_per_node=12))
    done = subprocess.run([binary("haproxy"), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    text = cfg.read_text()
    servers = [line.split() for line in text.splitlines() if line.strip().startswith("server ")]
    nodes = ["127.0.0.1:28301", "127.0.0.1:28302", "127.0.0.1:28303"]
    assert [s[2] for s in servers if "check" in s] == nodes
    assert [s[2] for s in servers if "backup" in s] == nodes  # the same nodes, unchecked, if every check fails
    # Nothing sticky, health-checked, and only safe requests re-sent after a node took them.
    assert "cookie" not in text and "stick" not in text
    assert "uri /healthz" in text
    assert "disable-l7-retry if !METH_GET !METH_HEAD !{ path_end /save }" in text


def test_pgbouncer_configuration_pools_transactions():
    ini = pgbouncer_ini(28350, "127.0.0.1", 5432, "/tmp/userlist.txt", pool_size=7)
    settings = dict(line.split(" = ", 1) for line in ini.splitlines() if " = " in line and not line.startswith(";"))
    assert settings["pool_mode"] == "transaction"
    assert settings["default_pool_size"] == "7"
    assert settings["listen_addr"] == "127.0.0.1"
    assert settings["*"] == "host=127.0.0.1 port=5432"


class _NodeWithFailingCheck(BaseHTTPRequestHandler):
    """A node whose /healthz fails (as a node busy past the check's timeout would) but that serves requests."""

    def do_GET(self):
        status, body = (500, b"check failed") if self.path == "/healthz" else (200, b"served")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_when_every_check_fails_haproxy_still_sends_requests_to_the_nodes(tmp_path):
    """A start crowd can keep every node busy past the health check's timeout; HAProxy must then not answer 503
    to everyone but keep sending to the nodes, unchecked."""
    node = ThreadingHTTPServer(("127.0.0.1", 0), _NodeWithFailingCheck)
    threading.Thread(target=node.serve_forever, daemon=True).start()
    front = node.server_address[1] + 1 if node.server_address[1] < 65000 else 28390
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_cfg(front, [node.server_address[1]]))
    proxy = subprocess.Popen(
        [binary("haproxy"), "-db", "-f", str(cfg)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline, log = time.monotonic() + 20, b""
        while b"is DOWN" not in log and time.monotonic() < deadline:  # three failed checks, ~1.5 s
            log += proxy.stdout.read1(4096) if select.select([proxy.stdout], [], [], 0.5)[0] else b""
        assert b"is DOWN" in log, log.decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{front}/exams/", timeout=10) as answer:
            assert answer.status == 200 and answer.read() == b"served"
            assert answer.headers["X-Moshi-Node"] == "node1-unchecked"
    finally:
        proxy.terminate()
        proxy.wait(10)
        node.shutdown()
