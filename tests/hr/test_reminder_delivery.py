"""Reminders through real servers: an SMTP server (aiosmtpd) and a local HTTP server standing in for Teams and Slack,
both started by the test on loopback."""

import json
import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from hr.models import ReminderSent
from hr.reminders import reminders_send
from hr.services import assignment_create, reminder_settings_update
from organizations.models import Department
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every message the server accepted."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def sales(organization):
    return Department.objects.create(organization=organization, name="営業部")


@pytest.fixture
def assignment(organization, hr_manager, sales, cohort_blueprint):
    return assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=timezone.localdate() + timedelta(days=1),
        departments=[sales],
        by=hr_manager,
    )


def test_reminders_go_through_a_real_smtp_server(organization, hr_manager, sales, assignment, smtp_server):
    inbox, port = smtp_server
    taro = MembershipFactory(organization=organization, department=sales, user__display_name="山田太郎")
    jane = MembershipFactory(
        organization=organization, department=sales, user__display_name="Jane", user__preferred_language="en"
    )
    reminder_settings_update(
        organization=organization, enabled=True, due_soon_days=3, weekly_digest=True, by=hr_manager
    )
    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_TIMEOUT": 10,
    }
    with override_settings(**smtp):
        sent = reminders_send()
        assert reminders_send() == {}  # nothing twice through the real server either
    assert sent == {"due_soon:mail": 2, "digest:mail": 1}
    assert sorted(rcpt for e in inbox.envelopes for rcpt in e.rcpt_tos) == sorted(
        [taro.user.email, jane.user.email, hr_manager.email]
    )
    received = {e.rcpt_tos[0]: message_from_bytes(e.content, policy=policy.default) for e in inbox.envelopes}
    taro_mail = received[taro.user.email]
    assert assignment.blueprint.name in taro_mail["Subject"] and taro_mail.get_content_type() == "multipart/alternative"
    text = taro_mail.get_body(("plain",)).get_content()
    html = taro_mail.get_body(("html",)).get_content()
    assert "山田太郎 様" in text and '<html lang="ja">' in html
    assert '<html lang="en">' in received[jane.user.email].get_body(("html",)).get_content()
    assert mail.outbox == []  # it really went over SMTP, not to the test outbox


class Channel(BaseHTTPRequestHandler):
    """Teams or Slack: records each POST and answers the next status in its list (then 200)."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.posts.append((self.path, body))
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"1" if status == 200 else b"error")

    def log_message(self, *args):
        pass


@pytest.fixture
def channel_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Channel)
    server.posts, server.answers = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def local_webhooks():
    with override_settings(REMINDER_WEBHOOKS_ALLOW_LOCAL=True):
        yield


def test_one_post_per_assignment_and_reminder_to_teams_and_slack(
    organization, hr_manager, sales, assignment, channel_server, local_webhooks
):
    members = [
        MembershipFactory(organization=organization, department=sales, user__display_name=f"社員{i}") for i in range(3)
    ]
    base = f"http://127.0.0.1:{channel_server.server_port}"
    reminder_settings_update(
        organization=organization,
        enabled=True,
        due_soon_days=3,
        weekly_digest=False,
        teams_webhook_url=f"{base}/teams/secret",
        slack_webhook_url=f"{base}/slack/secret",
        by=hr_manager,
    )
    assert reminders_send() == {"due_soon:mail": 3, "due_soon:teams": 1, "due_soon:slack": 1}
    posts = dict(channel_server.posts)
    assert set(posts) == {"/teams/secret", "/slack/secret"}
    assert "未完了 3 名" in posts["/slack/secret"]["text"]
    card = posts["/teams/secret"]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert assignment.blueprint.name in card["content"]["body"][0]["text"]

    assert reminders_send() == {} and len(channel_server.posts) == 2
    channel_server.posts.clear()
    assert reminders_send(now=assignment.due_at + timedelta(hours=1)) == {
        "overdue:mail": 3,
        "overdue:teams": 1,
        "overdue:slack": 1,
    }
    overdue = dict(channel_server.posts)["/slack/secret"]["text"]
    assert all(m.user.display_name in overdue for m in members)  # names, never an address
    assert "@" not in overdue and "@" not in json.dumps(dict(channel_server.posts)["/teams/secret"])


def test_a_channel_that_answers_500_is_retried_later_and_mail_still_goes_once(
    organization, hr_manager, sales, assignment, channel_server, local_webhooks
):
    MembershipFactory.create_batch(2, organization=organization, department=sales)
    base = f"http://127.0.0.1:{channel_server.server_port}"
    reminder_settings_update(
        organization=organization,
        enabled=True,
        due_soon_days=3,
        weekly_digest=False,
        teams_webhook_url=f"{base}/teams",
        slack_webhook_url=f"{base}/slack",
        by=hr_manager,
    )
    channel_server.answers = [500]  # Teams (posted first) fails once
    assert reminders_send() == {"due_soon:mail": 2, "due_soon:slack": 1}
    teams_row = ReminderSent.objects.get(channel="teams")
    assert teams_row.status == "pending" and teams_row.claimed_at is None and "500" in teams_row.last_error

    assert reminders_send() == {"due_soon:teams": 1}  # the next run posts it; mails and Slack are not repeated
    assert [path for path, _body in channel_server.posts] == ["/teams", "/slack", "/teams"]
    assert len(mail.outbox) == 2
    assert reminders_send() == {}


def test_a_local_webhook_url_is_refused_at_posting_time_outside_tests(
    organization, hr_manager, sales, assignment, channel_server
):
    """Saved under other rules (or written to the database directly), an http URL to a local server still gets
    no request in production mode: the post is refused before connecting, and the members' mail still goes."""
    MembershipFactory(organization=organization, department=sales)
    options = reminder_settings_update(
        organization=organization, enabled=True, due_soon_days=3, weekly_digest=False, by=hr_manager
    )
    options.slack_webhook_url = f"http://127.0.0.1:{channel_server.server_port}/slack"
    options.save()
    assert reminders_send() == {"due_soon:mail": 1}
    assert channel_server.posts == []
    assert ReminderSent.objects.get(channel="slack").status == "pending"
