"""Every spelling of one account's email shares one login throttle, on the site's login and the admin's.

The attack (security review, issue 1/8): after five wrong passwords the ASCII address was locked, but the
same address in full-width letters, with a full-width ＠, or with a dotless ı still logged in, each with
five fresh tries. Spellings are one account when NFKC and case folding make them equal (accounts.models
.normalize_email); anything else is another address."""

import pytest
from django.urls import reverse

from accounts.models import User, normalize_email
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"
SPELLINGS = [
    "user@example.com",
    "ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ",  # full width
    "user＠example.com",  # full-width at sign
    "USER@Example.COM",
    " User@example.com ",
]


def login(client, username, password, url="login"):
    return client.post(reverse(url), {"username": username, "password": password}, REMOTE_ADDR=IP)


@pytest.fixture
def victim():
    return UserFactory(email="user@example.com", is_staff=True)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_each_spelling_names_the_same_account(client, victim, spelling):
    assert normalize_email(spelling) == "user@example.com"
    response = login(client, spelling, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(victim.pk)


@pytest.mark.parametrize("url", ["login", "admin:login"])
def test_failures_under_any_spelling_add_up_to_one_lockout(client, victim, settings, url):
    # Five wrong passwords, each under another spelling: one counter, so the account is now locked ...
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = login(client, SPELLINGS[n % len(SPELLINGS)], "wrong-password", url=url)
        assert response.status_code == (200 if n < settings.AXES_FAILURE_LIMIT - 1 else 429)
    # ... and no spelling gets fresh tries: the right password is refused under every one of them.
    for spelling in SPELLINGS:
        response = login(client, spelling, PASSWORD, url=url)
        assert response.status_code == 429, spelling
        assert "_auth_user_id" not in client.session


def test_a_dotless_i_is_another_address_not_this_account(client, victim, settings):
    # PostgreSQL's UPPER('ı') is 'I', so a case-insensitive lookup found user@… for usır@…; an exact match
    # on the normalized address does not.
    assert normalize_email("usır@example.com") != "user@example.com"
    response = login(client, "usır@example.com", PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "user@example.com", "wrong-password")
    assert login(client, "usır@example.com", PASSWORD).status_code != 302


@pytest.mark.parametrize("odd", ["　", "\u200b", "＠", "@@", "a" * 300, "ﬀ＠\u0301"])
def test_an_address_that_normalizes_to_nothing_valid_is_an_ordinary_failure(client, victim, odd):
    response = login(client, odd, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_sign_up_stores_the_normalized_address_so_a_full_width_twin_cannot_register(client, mailoutbox):
    data = {
        "display_name": "全角",
        "preferred_language": "ja",
        "password1": "a-long-unusual-pass-42",
        "password2": "a-long-unusual-pass-42",
    }
    client.post(reverse("signup"), {**data, "email": "Ｔａｒｏ＠Example.jp"})
    client.post(reverse("signup"), {**data, "email": "taro@example.jp"})
    assert list(User.objects.values_list("email", flat=True)) == ["taro@example.jp"]
