"""Pages every new user meets, in Chromium (issue 17, items 14 and 15): the error pages (400, 403, 404, 500, the
CSRF failure) in the site's layout with a way home, sign-up and login, the language switcher naming each
language in its own name, and English pages writing dates the English way. axe-core finds nothing critical or
serious on any of them at phone and desktop sizes, and none is wider than the screen."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import BadRequest
from django.urls import path

import config.urls
from organizations.models import ApiToken
from organizations.services import api_token_create
from tests.browser.conftest import DESKTOP, PHONE, accessibility_problems, log_in
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


def crash(request):
    raise RuntimeError("a bug")


def bad_request(request):
    raise BadRequest("unreadable")


urlpatterns = [path("polish-crash/", crash), path("polish-bad/", bad_request), *config.urls.urlpatterns]


@pytest.fixture
def failing_views(settings):
    settings.ROOT_URLCONF = __name__


def check_page(page, viewport):
    assert accessibility_problems(page) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]


def check_error_page(page, viewport, status_text: str, title: str):
    assert page.locator(".error-code").inner_text() == status_text
    assert page.locator("h1").inner_text() == title
    assert page.locator("header.site-header .brand").is_visible()
    home = page.locator(".error-actions a:text-is('ホームへ戻る')")
    box = home.bounding_box()
    assert home.get_attribute("href") == "/" and box["y"] + box["height"] <= viewport["height"]  # seen at once
    check_page(page, viewport)


@SIZES
def test_an_hr_manager_sees_the_sites_403_on_the_token_page(browser, live_server, hr_manager, viewport):
    context, page = log_in(browser, live_server, hr_manager, viewport=viewport, bypass_csp=True)
    response = page.goto(f"{live_server.url}/org/api-tokens/")
    assert response.status == 403
    check_error_page(page, viewport, "403", "このページを開く権限がありません")
    assert page.locator("#lang-select").is_visible()  # the whole header, as on any page
    context.close()


@SIZES
def test_the_404_500_400_and_csrf_pages(browser, live_server, failing_views, viewport):
    context = browser.new_context(locale="ja-JP", viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    for url, status, title in [
        ("/no-such-page/", 404, "ページが見つかりません"),
        ("/polish-crash/", 500, "サーバーでエラーが起きました"),
        ("/polish-bad/", 400, "リクエストを処理できませんでした"),
    ]:
        assert page.goto(live_server.url + url).status == status
        check_error_page(page, viewport, str(status), title)

    page.goto(f"{live_server.url}/accounts/login/")
    context.clear_cookies()  # the CSRF cookie is gone, as after a long pause
    page.fill("input[name=username]", "someone@example.jp")
    page.fill("input[name=password]", "x")
    page.click("button[type=submit].button")
    page.wait_for_selector(".error-code")
    check_error_page(page, viewport, "403", "送信を受け付けられませんでした")
    context.close()


@SIZES
def test_sign_up_and_login_pass_axe_and_name_languages_in_their_own_names(browser, live_server, viewport):
    context = browser.new_context(locale="ja-JP", viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/signup/")
    assert page.locator("#lang-select option").all_inner_texts() == ["日本語", "English"]
    assert page.locator("select[name=preferred_language] option").all_inner_texts() == ["日本語", "English"]
    check_page(page, viewport)
    page.goto(f"{live_server.url}/accounts/login/")
    check_page(page, viewport)
    context.close()


def test_an_english_page_names_languages_the_same_way_and_writes_english_dates(browser, live_server, organization):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    token, _key = api_token_create(organization=organization, name="BI", by=admin)
    ApiToken.objects.filter(pk=token.pk).update(created_at=datetime(2026, 12, 3, 9, 5, tzinfo=ZoneInfo("Asia/Tokyo")))
    context, page = log_in(browser, live_server, admin, viewport=DESKTOP)
    page.goto(f"{live_server.url}/org/api-tokens/")
    assert "2026年12月3日 09:05" in page.locator("table").inner_text()
    page.select_option("#lang-select", "en")
    page.click(".lang-switch button")
    page.wait_for_selector("html[lang=en]")
    assert page.url == f"{live_server.url}/org/api-tokens/"
    assert page.locator("#lang-select option").all_inner_texts() == ["日本語", "English"]
    table = page.locator("table").inner_text()
    assert "Dec 3, 2026 09:05" in table and "年" not in table
    context.close()
