"""The SAML replay records are forgotten by Celery beat once their assertion has expired, and not before."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from organizations import tasks
from organizations.models import IdentityProvider, SamlAssertionSeen

pytestmark = pytest.mark.django_db


def test_beat_runs_the_cleanup_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["forget-expired-saml-assertions"]

    assert entry["task"] == "organizations.tasks.forget_expired_saml_assertions"
    assert entry["task"] in celery_app.tasks  # the name beat sends is one a worker knows
    assert entry["schedule"] == crontab(minute=17)


def test_the_task_forgets_expired_assertions_and_keeps_live_ones(organization):
    idp = IdentityProvider.objects.create(organization=organization, name="SAML", protocol="saml")
    now = timezone.now()
    SamlAssertionSeen.objects.create(assertion_id="_expired", identity_provider=idp, expires_at=now - timedelta(1))
    SamlAssertionSeen.objects.create(assertion_id="_live", identity_provider=idp, expires_at=now + timedelta(hours=1))

    assert tasks.forget_expired_saml_assertions.delay().get() == 1

    # A live assertion is still remembered, so its replay is still refused.
    assert list(SamlAssertionSeen.objects.values_list("assertion_id", flat=True)) == ["_live"]
    assert tasks.forget_expired_saml_assertions.delay().get() == 0
