"""What every page shares (issue 17, items 14 and 15): the site's own error pages, Japanese first, in its layout
and with a way back; the language switcher naming each language in its own name; dates in each language's
named formats."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import get_resolver, path, reverse
from django.utils import translation

import config.urls
from organizations.models import ApiToken
from organizations.services import api_token_create
from tests.factories import MembershipFactory

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in English leaves English active in this thread (LocaleMiddleware activates a language per
    request and never resets it): later tests expect Japanese."""
    yield
    translation.deactivate()


def crash(request):
    raise RuntimeError("boom")


# The project's URLs plus one view that fails, for the 500 page through the whole middleware stack.
urlpatterns = [path("polish-crash/", crash), *config.urls.urlpatterns]


def in_site_layout(html: str) -> bool:
    return all(
        part in html
        for part in ('<html lang="ja">', '<header class="site-header">', 'class="brand" href="/"', '<main id="main"')
    )


@pytest.mark.django_db
def test_an_hr_manager_on_the_token_page_gets_the_sites_403_in_japanese_with_a_way_back(client, hr_manager):
    client.force_login(hr_manager)
    response = client.get(reverse("api_tokens"))
    html = response.content.decode()
    assert response.status_code == 403
    assert in_site_layout(html) and "403 Forbidden" not in html
    assert "このページを開く権限がありません" in html
    assert f"{hr_manager} としてログインしています" in html
    assert '<a class="button" href="/">ホームへ戻る</a>' in html
    assert 'id="lang-select"' in html  # the full header: it has the request and the user


@pytest.mark.django_db
def test_an_unknown_address_gets_the_sites_404(client, candidate):
    client.force_login(candidate)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert in_site_layout(html) and "ページが見つかりません" in html and "ホームへ戻る" in html
    assert f'href="{reverse("exams:blueprint_list")}"' in html


def test_the_500_page_renders_without_a_request_context_or_a_database():
    """No django_db mark: any query while rendering fails this test. Django's handler passes no context."""
    handler = get_resolver().resolve_error_handler(500)
    with translation.override("ja"):
        response = handler(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert in_site_layout(html) and "サーバーでエラーが起きました" in html and "ホームへ戻る" in html
    assert "Server Error (500)" not in html
    assert "csrfmiddlewaretoken" not in html and 'id="lang-select"' not in html  # nothing that needs a request


@pytest.mark.urls(__name__)
def test_a_failing_view_shows_the_500_page_through_the_whole_stack():
    client = Client(raise_request_exception=False)
    response = client.get("/polish-crash/")
    assert response.status_code == 500
    assert in_site_layout(response.content.decode()) and "サーバーでエラーが起きました" in response.content.decode()


def test_the_400_page_renders_without_a_request_context_or_a_database():
    handler = get_resolver().resolve_error_handler(400)
    with translation.override("ja"):
        response = handler(RequestFactory().get("/"), SuspiciousOperation("bad"))
    html = response.content.decode()
    assert response.status_code == 400
    assert in_site_layout(html) and "リクエストを処理できませんでした" in html and "ホームへ戻る" in html


def test_a_request_for_a_host_not_served_gets_the_400_page():
    response = Client().get("/", HTTP_HOST="elsewhere.example")
    assert response.status_code == 400 and "リクエストを処理できませんでした" in response.content.decode()


@pytest.mark.django_db
def test_a_stale_form_gets_a_japanese_csrf_page_with_a_way_back():
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "a@b.jp", "password": "x"})
    html = response.content.decode()
    assert response.status_code == 403
    assert in_site_layout(html) and "送信を受け付けられませんでした" in html and "ホームへ戻る" in html
    assert "CSRF verification failed" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_language_switcher_names_each_language_in_its_own_name(client, language):
    client.cookies["django_language"] = language
    html = client.get(reverse("login")).content.decode()
    assert '<option value="ja" lang="ja"' in html
    options = html.split('<select id="lang-select" name="language">')[1].split("</select>")[0]
    assert ">日本語</option>" in options and ">English</option>" in options
    assert "英語" not in options


@pytest.mark.django_db
def test_the_sign_up_form_names_the_languages_as_the_switcher_does(client):
    html = client.get(reverse("signup")).content.decode()
    choices = html.split('name="preferred_language"')[1].split("</select>")[0]
    assert ">日本語</option>" in choices and ">English</option>" in choices


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "created", "used"),
    [("ja", "2026年12月3日 09:05", "2026年12月20日 18:30"), ("en", "Dec 3, 2026 09:05", "Dec 20, 2026 18:30")],
)
def test_dates_are_written_in_the_pages_language(client, organization, language, created, used):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    token, _key = api_token_create(organization=organization, name="BI", by=admin)
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=datetime(2026, 12, 3, 9, 5, tzinfo=TOKYO), last_used_at=datetime(2026, 12, 20, 18, 30, tzinfo=TOKYO)
    )
    client.force_login(admin)
    client.cookies["django_language"] = language
    html = client.get(reverse("api_tokens")).content.decode()
    assert f"<td>{created}</td>" in html and f"<td>{used}</td>" in html
