"""Reminders really travel: an organization's reminder task -> Redis -> a Celery worker process -> mail sent and
recorded in the database. (The beat task's fan-out to these tasks is tested in-process: the worker process
does not share this test's routing to its private queue.)"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from hr.models import ReminderSent
from hr.services import assignment_create, reminder_settings_update
from organizations.models import Department
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.real_celery, pytest.mark.django_db(transaction=True)]


def test_a_worker_process_sends_each_reminder_once_even_when_queued_twice(
    route_to_worker, organization, hr_manager, cohort_blueprint
):
    from hr.tasks import send_organization_reminders

    sales = Department.objects.create(organization=organization, name="営業部")
    members = MembershipFactory.create_batch(3, organization=organization, department=sales)
    reminder_settings_update(
        organization=organization, enabled=True, due_soon_days=3, weekly_digest=False, by=hr_manager
    )
    assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=timezone.localdate() + timedelta(days=1),
        departments=[sales],
        by=hr_manager,
    )
    route_to_worker("hr.tasks.send_organization_reminders")
    send_organization_reminders.delay(organization.pk)
    send_organization_reminders.delay(organization.pk)  # beat twice: still once each

    sent = ReminderSent.objects.filter(status="sent", kind="due_soon")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sent.count() < len(members):
        time.sleep(0.25)
    time.sleep(2)  # let the second run finish too
    assert sorted(sent.values_list("member_id", flat=True)) == sorted(m.pk for m in members)
    assert ReminderSent.objects.count() == len(members)
