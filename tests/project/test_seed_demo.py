import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from organizations.models import Department, Membership, Organization

pytestmark = pytest.mark.django_db


def counts():
    return (User.objects.count(), Organization.objects.count(), Department.objects.count(), Membership.objects.count())


@pytest.mark.slow  # imports the whole bank (about 1,900 questions), so once: seeding, re-seeding and logging in
def test_seed_demo_twice_creates_everything_once_and_its_logins_work(capsys, client):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    org = Organization.objects.get(slug="demo")
    assert org.name == "デモ株式会社"
    assert org.departments.count() == 3
    roles = set(Membership.objects.filter(organization=org).values_list("role", flat=True))
    assert roles == {"member", "hr_manager", "org_admin"}
    assert User.objects.filter(is_superuser=True).exists()
    assert "moshi-demo-2026" in capsys.readouterr().out

    response = client.post(reverse("login"), {"username": "hr@demo.moshi.example", "password": "moshi-demo-2026"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="hr@demo.moshi.example").pk)
