"""The API token page in Chromium (issue 17, item 15): a new key has a copy button that says 「コピーしました」
(also when the Clipboard API is missing), and a token is revoked only after a confirmation: a dialog with the
script, a page of its own without it. axe-core finds nothing critical or serious at phone and desktop sizes."""

import pytest

from organizations.models import ApiToken
from organizations.services import api_token_create
from tests.browser.conftest import DESKTOP, PHONE, accessibility_problems, log_in
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_CLIPBOARD_API = "Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true});"
NO_EXEC_COMMAND = "document.execCommand = () => false;"


@pytest.fixture
def org_admin(organization):
    return MembershipFactory(organization=organization, role="org_admin").user


def issue_token(page, live_server, name="人事ダッシュボード") -> str:
    page.goto(f"{live_server.url}/org/api-tokens/")
    page.fill("#token-name", name)
    page.click("text=トークンを発行する")
    return page.locator("#new-token-key").inner_text().strip()


def test_the_copy_button_copies_the_new_key_and_says_so(browser, live_server, org_admin):
    context, page = log_in(
        browser, live_server, org_admin, viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"]
    )
    key = issue_token(page, live_server)
    assert key.startswith("moshi_")
    page.wait_for_selector("#copy-token", state="visible")  # shown by the script
    button = page.locator("#copy-token")
    button.click()
    page.wait_for_selector("#copy-status:text-is('コピーしました')")
    assert page.evaluate("() => navigator.clipboard.readText()") == key
    # The status sits beside the button, inside the new key's box, where the eye already is.
    box, status, pressed = (
        page.locator(".new-token").bounding_box(),
        page.locator("#copy-status").bounding_box(),
        button.bounding_box(),
    )
    assert status["width"] > 0 and box["y"] <= status["y"] <= box["y"] + box["height"]
    assert abs(status["y"] - pressed["y"]) < pressed["height"]
    context.close()


def test_without_the_clipboard_api_the_key_is_still_copied(browser, live_server, org_admin):
    context, page = log_in(
        browser, live_server, org_admin, viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"]
    )
    page.add_init_script(NO_CLIPBOARD_API)
    key = issue_token(page, live_server)
    assert page.evaluate("() => navigator.clipboard") is None
    page.click("#copy-token")
    page.wait_for_selector("#copy-status:text-is('コピーしました')")
    reader = context.new_page()  # a page that has the API, to read what the fallback copied
    reader.goto(f"{live_server.url}/")
    assert reader.evaluate("() => navigator.clipboard.readText()") == key
    context.close()


def test_when_no_way_of_copying_works_the_key_is_selected_for_ctrl_c(browser, live_server, org_admin):
    context, page = log_in(browser, live_server, org_admin, viewport=PHONE)
    page.add_init_script(NO_CLIPBOARD_API + NO_EXEC_COMMAND)
    key = issue_token(page, live_server)
    page.click("#copy-token")
    page.wait_for_selector("#copy-status[data-state=by-hand]")
    assert "Ctrl+C" in page.locator("#copy-status").inner_text()
    assert page.evaluate("() => window.getSelection().toString()").strip() == key
    context.close()


def test_without_the_script_the_key_is_shown_and_no_dead_button(browser, live_server, org_admin):
    context, page = log_in(browser, live_server, org_admin, viewport=PHONE, java_script_enabled=False)
    key = issue_token(page, live_server)
    assert key.startswith("moshi_")
    assert not page.locator("#copy-token").is_visible()
    context.close()


def test_revoking_in_the_dialog_asks_first_and_cancel_keeps_the_token(browser, live_server, org_admin, organization):
    token, _key = api_token_create(organization=organization, name="BI", by=org_admin)
    context, page = log_in(browser, live_server, org_admin, viewport=DESKTOP)
    page.goto(f"{live_server.url}/org/api-tokens/")
    page.get_by_role("link", name="「BI」を失効させる…").click()
    dialog = page.locator(f"dialog#revoke-{token.pk}")
    assert dialog.is_visible() and page.url.endswith("/org/api-tokens/")  # no navigation: the dialog
    assert "トークン「BI」を失効させますか？" in dialog.inner_text()
    assert dialog.locator("button:text-is('キャンセル')").evaluate("b => b === document.activeElement")
    dialog.locator("button:text-is('キャンセル')").click()
    assert not dialog.is_visible()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None

    page.get_by_role("link", name="「BI」を失効させる…").click()
    dialog.locator("button:text-is('失効させる')").click()
    page.wait_for_selector(".message-success:has-text('トークン「BI」を失効しました。')")
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    context.close()


def test_without_the_script_revoking_goes_through_a_confirmation_page(browser, live_server, org_admin, organization):
    token, _key = api_token_create(organization=organization, name="BI", by=org_admin)
    context, page = log_in(browser, live_server, org_admin, viewport=PHONE, java_script_enabled=False)
    page.goto(f"{live_server.url}/org/api-tokens/")
    page.get_by_role("link", name="「BI」を失効させる…").click()
    page.wait_for_url(f"{live_server.url}/org/api-tokens/{token.pk}/revoke/")
    assert page.locator("h1").inner_text() == "トークン「BI」を失効させますか？"
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None  # opening the page changes nothing
    page.click("button:text-is('失効させる')")
    page.wait_for_url(f"{live_server.url}/org/api-tokens/")
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_token_pages_pass_axe(browser, live_server, org_admin, organization, viewport):
    token, _key = api_token_create(organization=organization, name="BI", by=org_admin)
    context, page = log_in(browser, live_server, org_admin, viewport=viewport, bypass_csp=True)
    issue_token(page, live_server)
    page.click("#copy-token")
    page.wait_for_selector("#copy-status[data-state]")
    assert accessibility_problems(page) == []
    # Nothing wider than the screen on a phone: the key wraps, the table scrolls inside its box.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
    page.get_by_role("link", name="「BI」を失効させる…").click()
    assert page.locator(f"dialog#revoke-{token.pk}").is_visible()
    assert accessibility_problems(page) == []
    page.goto(f"{live_server.url}/org/api-tokens/{token.pk}/revoke/")
    assert accessibility_problems(page) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
    context.close()
