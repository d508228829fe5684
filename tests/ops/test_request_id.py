"""Every request has an id: in its response, in each log line written while serving it, and in the log lines of
the Celery tasks it queued."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import shared_task
from celery.signals import before_task_publish
from django.urls import reverse

from ops import request_id

ROOT = Path(__file__).resolve().parents[2]
task_logger = logging.getLogger("tests.ops.task")


@shared_task(name="tests.ops.log_inside_a_task")
def log_inside_a_task() -> None:
    task_logger.warning("inside the task")


@pytest.fixture
def console():
    """What the configured console handler writes (settings.LOGGING), captured."""
    handler = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, request_id.RequestIdFilter) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_response_carries_a_new_id_when_none_came_in(client):
    response = client.get(reverse("healthz"))
    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"] != client.get(reverse("healthz"))["X-Request-ID"]


def test_a_well_formed_incoming_id_is_kept(client):
    sent = "c0ffee00-1234-4abc-8def-0123456789ab"
    assert client.get(reverse("healthz"), HTTP_X_REQUEST_ID=sent)["X-Request-ID"] == sent


@pytest.mark.parametrize(
    "sent",
    [
        "short",
        "x" * 129,
        "has space in it",
        "line\nbreak-forged-log",
        "<script>alert(1)</script>",
        "日本語のリクエストID",
    ],
)
def test_an_odd_incoming_id_is_replaced(client, sent):
    returned = client.get(reverse("healthz"), HTTP_X_REQUEST_ID=sent)["X-Request-ID"]
    assert returned != sent and len(returned) == 32


def test_every_log_line_of_a_request_carries_its_id(client, console):
    sent = "req-0123456789abcdef"
    client.get("/no-such-page/", HTTP_X_REQUEST_ID=sent)  # Django logs the 404 as a warning
    lines = [line for line in console.getvalue().splitlines() if "no-such-page" in line]
    assert lines and all(f"[{sent}]" in line for line in lines), console.getvalue()
    logging.getLogger("tests.ops").warning("after the request")
    assert "[-] after the request" in console.getvalue()  # the id does not leak into what comes after


def test_a_queued_task_carries_the_id_in_its_message_headers():
    headers: dict = {}
    token = request_id.current.set("req-abcdef123456")
    try:
        before_task_publish.send(sender="exams.tasks.score_attempt", headers=headers, body=())
    finally:
        request_id.current.reset(token)
    assert headers[request_id.TASK_HEADER] == "req-abcdef123456"

    outside: dict = {}
    before_task_publish.send(sender="exams.tasks.score_attempt", headers=outside, body=())
    assert request_id.TASK_HEADER not in outside  # beat's and the sweeper's tasks have no request


def test_a_task_logs_with_the_id_it_was_sent_with(console):
    """The worker side: the id from the message headers is current while the task runs, and only then."""
    log_inside_a_task.apply(headers={request_id.TASK_HEADER: "req-from-the-web-0001"})
    assert "[req-from-the-web-0001] inside the task" in console.getvalue()
    assert request_id.current.get() == request_id.NONE
    log_inside_a_task.apply(headers={request_id.TASK_HEADER: "bad id\nforged"})
    assert "[-] inside the task" in console.getvalue()


LOG_ONE_LINE = (
    "import django, logging; django.setup(); from ops import request_id; "
    "request_id.current.set('req-json-000123'); logging.getLogger('moshi.test').warning('答案を保存: %s', 7)"
)


def log_line(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "-c", LOG_ONE_LINE],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_logs_are_json_with_the_request_id():
    result = log_line(DEBUG="false", SECRET_KEY="log-test")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["request_id"] == "req-json-000123"
    assert record["message"] == "答案を保存: 7"
    assert record["level"] == "WARNING" and record["logger"] == "moshi.test" and record["time"]


def test_development_logs_are_text_unless_asked_for_json():
    text = log_line()
    assert text.returncode == 0, text.stderr
    assert "WARNING moshi.test [req-json-000123] 答案を保存: 7" in text.stderr
    as_json = log_line(LOG_FORMAT="json")
    assert json.loads(as_json.stderr.strip().splitlines()[-1])["request_id"] == "req-json-000123"
    wrong = log_line(LOG_FORMAT="xml")
    assert wrong.returncode != 0 and "LOG_FORMAT must be json or text" in wrong.stderr
