import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, email, password, ip="203.0.113.10"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_signup_creates_an_individual_candidate_and_signs_them_in(client):
    response = client.post(
        reverse("signup"),
        {
            "email": "New.Person@Example.jp",
            "display_name": "新人",
            "preferred_language": "en",
            "password1": "a-long-unusual-pass-42",
            "password2": "a-long-unusual-pass-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "new.person@example.jp"
    assert user.memberships.count() == 0  # an individual, no organization
    assert client.session["_auth_user_id"] == str(user.pk)
    assert response.cookies["django_language"].value == "en"


def test_signup_refuses_a_taken_email_and_mismatched_passwords_keeping_what_was_typed(client):
    UserFactory(email="taken@example.jp")
    response = client.post(
        reverse("signup"),
        {
            "email": "TAKEN@example.jp",
            "display_name": "重複",
            "preferred_language": "ja",
            "password1": "x" * 12 + "9a",
            "password2": "different-9a",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "email" in form.errors and "password2" in form.errors
    assert 'value="重複"' in response.content.decode()
    assert User.objects.count() == 1


def test_login_with_email_in_any_case_and_logout(client):
    user = UserFactory(email="taro@example.jp")
    response = login(client, "Taro@Example.jp", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_out_that_username_from_that_ip_only(client, settings):
    victim = UserFactory(email="victim@example.jp")
    colleague = UserFactory(email="colleague@example.jp")
    office_ip = "198.51.100.7"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, victim.email, "wrong-password", ip=office_ip)

    # Locked: even the right password is refused from that IP.
    response = login(client, victim.email, PASSWORD, ip=office_ip)
    assert response.status_code == 429
    assert "一時停止" in response.content.decode()

    # A colleague behind the same NAT address still logs in.
    response = login(client, colleague.email, PASSWORD, ip=office_ip)
    assert response.status_code == 302

    # And the victim, from another network, is not locked out by the attacker.
    client.post(reverse("logout"))
    response = login(client, victim.email, PASSWORD, ip="192.0.2.55")
    assert response.status_code == 302


def test_password_change_and_reset_email(client, mailoutbox):
    user = UserFactory(email="forgot@example.jp")
    client.post(reverse("password_reset"), {"email": "forgot@example.jp"})
    assert len(mailoutbox) == 1 and "forgot@example.jp" in mailoutbox[0].to

    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "brand-new-pass-77", "new_password2": "brand-new-pass-77"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-pass-77")


def test_language_switch_is_remembered_on_the_account(client):
    user = UserFactory(preferred_language="ja")
    client.force_login(user)
    response = client.post(reverse("language_switch"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.preferred_language == "en"
    page = client.get("/").content.decode()
    assert page.startswith('<!doctype html>\n\n<html lang="en">')
    assert "What you can do" in page and "できること" not in page  # the English catalogue is used


def test_home_lists_what_each_person_can_do(client, hr_manager, candidate):
    anonymous = client.get("/").content.decode()
    assert reverse("signup") in anonymous

    client.force_login(candidate)
    page = client.get("/").content.decode()
    assert "模擬試験を受ける" in page and "組織の準備状況" not in page

    client.force_login(hr_manager)
    assert "組織の準備状況" in client.get("/").content.decode()
