"""The reminder settings page, who may change it, and which webhook URLs an organization may save (SSRF)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hr import webhooks
from hr.models import ReminderSettings
from hr.services import reminder_settings_update
from hr.webhooks import SLACK, TEAMS, WebhookError, validate_webhook_url, webhook_post
from tests.factories import MembershipFactory
from tests.project.test_odd_input import ODD

pytestmark = pytest.mark.django_db

URL = reverse("hr:reminder_settings")
SLACK_URL = "https://hooks.slack.com/services/T0001/B0002/abcdefSECRETwxyz"
TEAMS_URL = "https://prod-12.japaneast.logic.azure.com:443/workflows/0123/triggers/manual/paths/invoke?sig=SECRETsig9"
FORM = {"enabled": "on", "due_soon_days": "5", "weekly_digest": "on"}


def test_hr_turns_reminders_on_and_saved_webhooks_are_never_shown_back(client, organization, hr_manager):
    client.force_login(hr_manager)
    page = client.get(URL)
    assert page.status_code == 200 and 'name="due_soon_days"' in page.content.decode()
    response = client.post(URL, {**FORM, "slack_webhook_url": SLACK_URL, "teams_webhook_url": TEAMS_URL})
    assert response.status_code == 302
    saved = ReminderSettings.objects.get(organization=organization)
    assert (saved.enabled, saved.due_soon_days, saved.weekly_digest) == (True, 5, True)
    assert (saved.slack_webhook_url, saved.teams_webhook_url, saved.updated_by) == (SLACK_URL, TEAMS_URL, hr_manager)
    page = client.get(URL).content.decode()
    assert "SECRET" not in page and "hooks.slack.com/…wxyz" in page and "logic.azure.com/…sig9" in page

    # A blank field keeps the saved URL; the checkbox removes it.
    assert client.post(URL, {**FORM, "due_soon_days": "2"}).status_code == 302
    saved.refresh_from_db()
    assert saved.due_soon_days == 2 and saved.slack_webhook_url == SLACK_URL
    assert client.post(URL, {**FORM, "clear_slack": "on"}).status_code == 302
    saved.refresh_from_db()
    assert saved.slack_webhook_url == "" and saved.teams_webhook_url == TEAMS_URL


def test_org_admins_may_change_the_settings_too(client, organization):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    client.force_login(admin)
    assert client.post(URL, FORM).status_code == 302
    assert ReminderSettings.objects.get(organization=organization).enabled


def test_members_anonymous_and_other_organizations_cannot_change_the_settings(
    client, organization, other_organization, hr_manager, other_org_hr
):
    reminder_settings_update(
        organization=organization,
        enabled=False,
        due_soon_days=3,
        weekly_digest=False,
        slack_webhook_url=SLACK_URL,
        by=hr_manager,
    )
    member = MembershipFactory(organization=organization).user
    client.force_login(member)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {**FORM, "clear_slack": "on"}).status_code == 403
    client.logout()
    assert client.post(URL, FORM).status_code == 302  # to the login page
    # Another company's HR reaches only their own organization's settings: there is no id to change.
    client.force_login(other_org_hr)
    page = client.get(URL).content.decode()
    assert "wxyz" not in page and "SECRET" not in page
    assert client.post(URL, {**FORM, "clear_slack": "on"}).status_code == 302
    ours = ReminderSettings.objects.get(organization=organization)
    assert (ours.enabled, ours.slack_webhook_url) == (False, SLACK_URL)
    assert ReminderSettings.objects.get(organization=other_organization).enabled
    # And the service refuses anyone who is not HR or an admin of the organization, whatever calls it.
    with pytest.raises(PermissionDenied):
        reminder_settings_update(
            organization=organization, enabled=True, due_soon_days=3, weekly_digest=True, by=other_org_hr
        )
    with pytest.raises(PermissionDenied):
        reminder_settings_update(
            organization=organization, enabled=True, due_soon_days=3, weekly_digest=True, by=member
        )


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/services/T0/B0/x",  # not https
        "https://127.0.0.1/services/T0/B0/x",  # loopback
        "https://169.254.169.254/latest/meta-data/",  # the cloud metadata service
        "https://[::1]/x",
        "https://10.0.0.5/x",
        "https://localhost/services/x",
        "https://hooks.slack.com.evil.example/services/x",  # looks like Slack, is not
        "https://evilhooks.slack.com/services/x",
        "https://user:pw@hooks.slack.com/services/x",  # credentials
        "https://hooks.slack.com:8443/services/x",  # another port
        "file:///etc/passwd",
        "gopher://hooks.slack.com/x",
        "https://hooks.slack.com/services/<script>",
        "javascript:alert(1)",
    ],
)
def test_webhook_urls_outside_the_service_are_refused(url):
    with pytest.raises(ValidationError):
        validate_webhook_url(url, channel=SLACK)


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://example.webhook.office.com.attacker.example/x",
        "https://hooks.slack.com/services/T0/B0/x",  # Slack's URL is not a Teams one
    ],
)
def test_teams_urls_outside_microsoft_are_refused(url):
    with pytest.raises(ValidationError):
        validate_webhook_url(url, channel=TEAMS)


def test_the_services_own_urls_are_accepted():
    assert validate_webhook_url(SLACK_URL, channel=SLACK) == SLACK_URL
    assert validate_webhook_url(TEAMS_URL, channel=TEAMS) == TEAMS_URL
    office = "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456"
    assert validate_webhook_url(office, channel=TEAMS) == office


def test_the_settings_page_says_why_a_url_is_refused(client, organization, hr_manager):
    client.force_login(hr_manager)
    response = client.post(URL, {**FORM, "slack_webhook_url": "https://169.254.169.254/latest/meta-data/"})
    assert response.status_code == 400 and "hooks.slack.com" in response.content.decode()
    response = client.post(URL, {**FORM, "teams_webhook_url": "http://contoso.webhook.office.com/x"})
    assert response.status_code == 400 and "https://" in response.content.decode()
    response = client.post(URL, {**FORM, "due_soon_days": "0"})
    assert response.status_code == 400
    assert not ReminderSettings.objects.exists()


def test_an_allowed_name_that_resolves_to_an_internal_address_gets_no_request(monkeypatch):
    """DNS of an allowed domain pointed at 169.254.169.254 (or a private address): refused before connecting."""
    connected = []

    def resolves_inside(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolves_inside)
    monkeypatch.setattr(webhooks._opener, "open", lambda *a, **k: connected.append(a))
    with pytest.raises(WebhookError, match="non-public"):
        webhook_post(SLACK_URL, {"text": "x"}, channel=SLACK)
    assert connected == []


def test_masked_shows_the_host_and_the_last_four_characters_only():
    assert webhooks.masked(SLACK_URL) == "https://hooks.slack.com/…wxyz"
    assert webhooks.masked("") == ""


def test_the_settings_page_reads_a_fixed_number_of_queries(
    client, organization, hr_manager, django_assert_max_num_queries
):
    reminder_settings_update(
        organization=organization,
        enabled=True,
        due_soon_days=3,
        weekly_digest=True,
        slack_webhook_url=SLACK_URL,
        by=hr_manager,
    )
    client.force_login(hr_manager)
    with django_assert_max_num_queries(4):  # session, user, membership with organization, settings
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(9):  # the four, then the service: role check, lock, save (+ savepoints)
        assert client.post(URL, FORM).status_code == 302


def site_url(**environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "ALLOWED_HOSTS", "SITE_URL", "SECRET_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **environment)
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    root = Path(__file__).resolve().parents[2]
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=60)


def test_mail_links_point_at_site_url_or_the_first_allowed_host():
    production = {"DEBUG": "false", "SECRET_KEY": "k" * 60}
    assert site_url(**production, ALLOWED_HOSTS="moshi.example.jp,.example.jp").stdout.strip() == (
        "https://moshi.example.jp"
    )
    given = site_url(**production, ALLOWED_HOSTS="*", SITE_URL="https://moshi.example.jp/")
    assert given.stdout.strip() == "https://moshi.example.jp"
    bad = site_url(**production, ALLOWED_HOSTS="moshi.example.jp", SITE_URL="moshi.example.jp")
    assert bad.returncode != 0 and "SITE_URL must start with https://" in bad.stderr


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(
            ["enabled", "due_soon_days", "weekly_digest", "teams_webhook_url", "slack_webhook_url", "clear_slack"]
        ),
        ODD,
        min_size=1,
    )
)
def test_odd_values_on_the_settings_page_never_make_a_server_error(client, organization, hr_manager, values):
    client.force_login(hr_manager)
    response = client.post(URL, values)
    assert response.status_code in (302, 400)
    options = ReminderSettings.objects.filter(organization=organization).first()
    assert options is None or (1 <= options.due_soon_days <= 30 and "\x00" not in options.slack_webhook_url)
