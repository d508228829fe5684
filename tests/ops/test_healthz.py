"""/healthz reports the database and the broker: ok, down or eager; 200 when usable, 503 when not."""

import socket
import socketserver
import threading

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


class _PongHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(1024):
            self.request.sendall(b"+PONG\r\n" if b"PING" in data.upper() else b"+OK\r\n")


@pytest.fixture
def redis_that_answers():
    """A minimal RESP server on loopback that answers PING with PONG: a broker that is up."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _PongHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"redis://127.0.0.1:{server.server_address[1]}/0"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_eager_when_no_broker_is_configured(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] == "eager"


def test_ok_when_the_broker_answers(client, settings, redis_that_answers):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_that_answers
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() | {"worker_last_seen": None} == {
        "database": "ok",
        "broker": "ok",
        "status": "ok",
        "worker_last_seen": None,
    }


def test_down_and_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


def test_down_and_503_when_the_database_is_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("ops.selectors.connection.cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
    assert response.json()["status"] == "down"


def test_reports_when_a_worker_was_last_seen(client):
    from ops.tasks import record_heartbeat

    record_heartbeat.delay("worker-a")  # eager in tests: runs in-process
    assert client.get("/healthz").json()["worker_last_seen"] is not None
