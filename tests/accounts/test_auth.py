import re

import pytest
from django.core import signing
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, email, password, ip="203.0.113.10"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


SIGNUP = {
    "display_name": "新人",
    "preferred_language": "en",
    "password1": "a-long-unusual-pass-42",
    "password2": "a-long-unusual-pass-42",
}


def test_signup_creates_an_unconfirmed_candidate_and_mails_a_confirmation_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), {**SIGNUP, "email": "New.Person@Example.jp"})
    assert response.status_code == 302 and response.url == reverse("signup_sent")
    user = User.objects.get()
    assert user.email == "new.person@example.jp" and not user.email_confirmed
    assert user.memberships.count() == 0  # an individual, no organization
    assert "_auth_user_id" not in client.session  # signed in only by the login form, as for every other answer
    assert response.cookies["django_language"].value == "en"
    (mail,) = mailoutbox
    assert mail.to == ["new.person@example.jp"]
    link = next(line for line in mail.body.splitlines() if "/accounts/confirm/" in line)

    response = client.get(link.strip())
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_confirmed
    assert client.get(link.strip()).status_code == 302  # a second click (or a mail scanner's) is harmless
    assert login(client, "new.person@example.jp", SIGNUP["password1"]).status_code == 302


def test_signup_answers_the_same_for_a_registered_address_and_mails_its_owner(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    """The attack: sign up with someone's address to learn whether they use Moshi."""
    UserFactory(email="taken@example.jp", password="not-the-attackers-9")
    with django_capture_on_commit_callbacks(execute=True):
        new = client.post(reverse("signup"), {**SIGNUP, "email": "fresh@example.jp"})
        taken = client.post(reverse("signup"), {**SIGNUP, "email": "TAKEN@example.jp"})
    assert (taken.status_code, taken.url) == (new.status_code, new.url)

    def page(url):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", client.get(url).content.decode())

    assert page(taken.url) == page(new.url)
    assert User.objects.filter(email="taken@example.jp").get().check_password("not-the-attackers-9")
    owner_mail = next(m for m in mailoutbox if m.to == ["taken@example.jp"])
    assert "/accounts/login/" in owner_mail.body and "/accounts/confirm/" not in owner_mail.body


def test_signup_keeps_what_was_typed_when_passwords_differ(client):
    response = client.post(reverse("signup"), {**SIGNUP, "email": "x@example.jp", "password2": "different-9a"})
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert 'value="新人"' in response.content.decode()
    assert not User.objects.exists()


def test_a_forged_or_foreign_confirmation_link_confirms_nothing(client):
    from accounts.services import email_confirmation_token

    user = UserFactory(email="someone@example.jp", email_confirmed_at=None)
    token = email_confirmation_token(user)
    other_purpose = signing.dumps([user.pk, user.email], salt="another-purpose")
    for bad in (token[:-2] + "xx", "garbage", other_purpose):
        assert client.get(reverse("email_confirm", args=[bad])).status_code == 400
    user.email = "changed@example.jp"
    user.save()
    assert client.get(reverse("email_confirm", args=[token])).status_code == 400
    user.refresh_from_db()
    assert not user.email_confirmed


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
