"""HR sets up reminders (督促) in a real browser: keyboard-usable, axe-clean, and the saved webhook never shown back."""

import pytest

from hr.models import ReminderSettings
from tests.browser.conftest import DESKTOP, PHONE, accessibility_problems, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLACK_URL = "https://hooks.slack.com/services/T0001/B0002/abcdefSECRETwxyz"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_hr_turns_on_reminders_with_a_slack_channel(browser, live_server, organization, hr_manager, viewport):
    context, page = log_in(browser, live_server, hr_manager, viewport=viewport, bypass_csp=True)
    page.goto(f"{live_server.url}/org/assignments/")
    page.click("text=督促の設定")
    page.wait_for_selector("main h1")
    problems = {"settings": accessibility_problems(page)}

    page.check("input[name=enabled]")
    page.fill("input[name=slack_webhook_url]", "https://169.254.169.254/latest/meta-data/")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".errors, .form-errors")
    problems["refused"] = accessibility_problems(page)
    assert not ReminderSettings.objects.filter(organization=organization).exists()

    page.fill("input[name=slack_webhook_url]", SLACK_URL)
    page.fill("input[name=due_soon_days]", "5")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=督促の設定を保存しました。")
    assert "SECRET" not in page.content() and "hooks.slack.com/…wxyz" in page.content()
    assert page.is_checked("input[name=enabled]")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    saved = ReminderSettings.objects.get(organization=organization)
    assert (saved.enabled, saved.due_soon_days, saved.slack_webhook_url) == (True, 5, SLACK_URL)
    assert {name: found for name, found in problems.items() if found} == {}
    context.close()
