"""The audit log: what is recorded, who may read it, and how long it is kept."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import purge_expired, record
from organizations.models import Membership
from organizations.services import (
    InvitationRow,
    api_token_create,
    invitation_cancel,
    members_invite,
    membership_set_active,
    membership_update,
)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


@pytest.fixture
def other_org_admin(other_organization):
    return MembershipFactory(organization=other_organization, role=Membership.Role.ORG_ADMIN).user


def events(organization, action):
    return list(AuditEvent.objects.filter(organization=organization, action=action).order_by("pk"))


# --- What is recorded ---------------------------------------------------------------------------------------------


def test_an_hr_csv_export_is_recorded_with_who_what_and_where(client, hr_world, hr_manager, organization):
    client.force_login(hr_manager)
    response = client.get(reverse("hr:org_dashboard_csv", args=["members"]), {"q": "営業"}, REMOTE_ADDR="192.0.2.7")
    b"".join(response.streaming_content)
    [event] = events(organization, Action.CSV_EXPORT)
    assert event.actor == hr_manager and event.token is None
    assert event.details["view"] == "members" and event.details["q"] == "営業"
    assert event.ip == "192.0.2.7"


def test_the_dashboard_and_member_pages_are_recorded(client, hr_world, hr_manager, organization):
    client.force_login(hr_manager)
    client.get(reverse("hr:org_dashboard"))
    client.get(reverse("hr:assignment_detail", args=[hr_world.assignment.pk]))
    client.get(reverse("hr:real_results"), {"member": hr_world.s1.pk})
    client.force_login(hr_world.admin)
    client.get(reverse("org_members"))
    client.get(reverse("org_member", args=[hr_world.s1.pk]))
    assert [e.actor for e in events(organization, Action.DASHBOARD_VIEW)] == [hr_manager]
    assert len(events(organization, Action.ASSIGNMENT_VIEW)) == 1
    assert [e.target for e in events(organization, Action.REAL_RESULTS_VIEW)] == [hr_world.s1]
    assert [e.actor for e in events(organization, Action.MEMBERS_VIEW)] == [hr_world.admin]
    assert [e.target for e in events(organization, Action.MEMBER_VIEW)] == [hr_world.s1]


def test_api_token_use_is_one_event_per_request_naming_the_endpoint(client, hr_world, organization):
    token, key = api_token_create(organization=organization, name="人事システム")
    response = client.get(reverse("api:members"), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and len(response.json()["results"]) >= 5
    [event] = events(organization, Action.API_REQUEST)  # one, however many members came back
    assert event.token == token and event.actor is None
    assert event.details["endpoint"] == "/api/v1/members" and event.details["method"] == "GET"
    client.get(reverse("api:pass_rates"), {"exam": "g_kentei"}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert len(events(organization, Action.API_REQUEST)) == 2


def test_a_refused_token_records_nothing(client, hr_world):
    client.get(reverse("api:members"), HTTP_AUTHORIZATION="Bearer moshi_not-a-key")
    assert not AuditEvent.objects.exists()


def test_invitations_role_changes_and_deactivations_are_recorded(hr_world, organization):
    admin = hr_world.admin
    [issued] = members_invite(organization=organization, rows=[InvitationRow(email="new@alpha.example.jp")], by=admin)
    invitation_cancel(invitation=issued.invitation, by=admin)
    invitation_cancel(invitation=issued.invitation, by=admin)  # already cancelled: nothing more to record
    membership_update(membership=hr_world.s1, role="hr_manager", department=hr_world.dev, employee_code="X-1", by=admin)
    membership_set_active(membership=hr_world.s2, active=False, by=admin)
    membership_set_active(membership=hr_world.s2, active=False, by=admin)
    membership_set_active(membership=hr_world.s2, active=True, by=admin)
    assert events(organization, Action.INVITATION_CREATE)[0].details == {"count": 1, "roles": ["member"]}
    assert len(events(organization, Action.INVITATION_CANCEL)) == 1
    [update] = events(organization, Action.MEMBER_UPDATE)
    assert update.target == hr_world.s1
    assert update.details == {
        "role": ["member", "hr_manager"],
        "department": [hr_world.sales.pk, hr_world.dev.pk],
        "employee_code_changed": True,
    }
    assert "X-1" not in str(update.details)  # codes are personal data, which the log outlives
    assert [e.target for e in events(organization, Action.MEMBER_DEACTIVATE)] == [hr_world.s2]
    assert [e.target for e in events(organization, Action.MEMBER_REACTIVATE)] == [hr_world.s2]


# --- Who may read it ----------------------------------------------------------------------------------------------


def test_org_admin_sees_the_log_and_filters_it(client, hr_world, hr_manager, organization):
    record(organization_id=organization.pk, action=Action.DASHBOARD_VIEW, actor=hr_manager)
    old = record(organization_id=organization.pk, action=Action.CSV_EXPORT, actor=hr_manager, details={"view": "old"})
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=40))
    record(organization_id=organization.pk, action=Action.MEMBERS_VIEW, actor=hr_world.admin)
    client.force_login(hr_world.admin)

    page = client.get(reverse("audit:log")).content.decode()
    assert "ダッシュボードの閲覧" in page and "view=old" in page and hr_manager.display_name in page

    page = client.get(reverse("audit:log"), {"action": Action.CSV_EXPORT}).content.decode()
    assert "view=old" in page and "ダッシュボードの閲覧</td>" not in page

    page = client.get(reverse("audit:log"), {"actor": f"u{hr_world.admin.pk}"}).content.decode()
    assert "メンバー一覧の閲覧</td>" in page and "view=old" not in page

    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    page = client.get(reverse("audit:log"), {"since": since}).content.decode()
    assert "ダッシュボードの閲覧</td>" in page and "view=old" not in page
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    page = client.get(reverse("audit:log"), {"until": until}).content.decode()
    assert "view=old" in page and "ダッシュボードの閲覧</td>" not in page


def test_a_change_reads_as_before_and_after(client, hr_world, organization):
    membership_update(membership=hr_world.s1, role="hr_manager", department=None, employee_code="", by=hr_world.admin)
    client.force_login(hr_world.admin)
    page = client.get(reverse("audit:log"), {"action": Action.MEMBER_UPDATE}).content.decode()
    assert "role=member→hr_manager" in page and f"department={hr_world.sales.pk}→—" in page
    assert hr_world.s1.user.display_name in page  # the member concerned


def test_the_audit_csv_lists_the_events_and_is_itself_recorded(client, hr_world, hr_manager, organization):
    record(organization_id=organization.pk, action=Action.CSV_EXPORT, actor=hr_manager, details={"view": "members"})
    client.force_login(hr_world.admin)
    response = client.get(reverse("audit:log_csv"), {"action": Action.CSV_EXPORT})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "CSVの出力" in text and "view=members" in text and hr_manager.display_name in text
    [export] = events(organization, Action.AUDIT_EXPORT)
    assert export.actor == hr_world.admin and export.details == {"action": Action.CSV_EXPORT}


@pytest.mark.parametrize("url", [reverse("audit:log"), reverse("audit:log_csv")])
def test_members_and_hr_managers_may_not_read_the_log(client, hr_world, hr_manager, url):
    client.force_login(hr_world.s1.user)
    assert client.get(url).status_code == 403
    client.force_login(hr_manager)  # HR managers see members' figures, but not who looked at them
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORT).exists()


def test_another_organizations_admin_sees_none_of_its_events(client, hr_world, hr_manager, other_org_admin):
    client.force_login(hr_manager)
    b"".join(client.get(reverse("hr:org_dashboard_csv", args=["members"])).streaming_content)
    client.force_login(other_org_admin)
    page = client.get(reverse("audit:log")).content.decode()
    assert "CSVの出力</td>" not in page and hr_manager.display_name not in page
    # Naming the other organization's HR manager as the actor is not a way in: not one of the choices.
    page = client.get(reverse("audit:log"), {"actor": f"u{hr_manager.pk}"}).content.decode()
    assert "CSVの出力</td>" not in page
    text = b"".join(client.get(reverse("audit:log_csv"), {"actor": f"u{hr_manager.pk}"}).streaming_content)
    assert "CSVの出力".encode() not in text
    assert client.get(reverse("audit:log"), {"actor": "u-1", "since": "2026-13-45", "page": "x"}).status_code == 200


def test_query_counts_do_not_grow_with_events(
    client, hr_world, hr_manager, organization, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            record(
                organization_id=organization.pk,
                action=Action.MEMBER_VIEW,
                actor=hr_manager,
                target_id=hr_world.s1.pk if i % 2 else None,
            )
        record(organization_id=organization.pk, action=Action.API_REQUEST, token_id=token.pk)

    token, _key = api_token_create(organization=organization, name="人事システム")
    client.force_login(hr_world.admin)
    add(2)
    # session, user, membership, filter choices (managers, tokens), count, events with actor, token and target
    # (and its user) in one join
    with django_assert_max_num_queries(7):
        assert client.get(reverse("audit:log")).status_code == 200
    add(30)
    with django_assert_max_num_queries(7):
        assert client.get(reverse("audit:log")).status_code == 200
    # session, user, membership, filter choices (2), the export's own event, events
    with django_assert_max_num_queries(7):
        b"".join(client.get(reverse("audit:log_csv")).streaming_content)


def test_retention_is_set_by_the_org_admin_and_recorded(client, hr_world, organization):
    client.force_login(hr_world.admin)
    assert client.post(reverse("audit:log"), {"days": "10"}).status_code == 400  # fewer than 30 days
    assert client.post(reverse("audit:log"), {"days": "90"}).status_code == 302
    organization.refresh_from_db()
    assert organization.audit_retention_days == 90
    assert events(organization, Action.RETENTION_CHANGE)[0].details == {"days": 90}


def test_retention_purge_deletes_only_expired_events_and_is_idempotent(
    settings, organization, other_organization, hr_manager, other_org_hr
):
    settings.MOSHI_AUDIT_RETENTION_DAYS = 365
    other_organization.audit_retention_days = 30
    other_organization.save()
    now = timezone.now()

    def event_at(org, actor, days_ago):
        event = record(organization_id=org.pk, action=Action.DASHBOARD_VIEW, actor=actor)
        AuditEvent.objects.filter(pk=event.pk).update(at=now - timedelta(days=days_ago))
        return event.pk

    kept = {event_at(organization, hr_manager, 0), event_at(organization, hr_manager, 364)}
    kept |= {event_at(other_organization, other_org_hr, 29)}
    event_at(organization, hr_manager, 366)
    event_at(other_organization, other_org_hr, 31)
    event_at(other_organization, other_org_hr, 400)

    assert purge_expired(now=now) == 3
    assert set(AuditEvent.objects.values_list("pk", flat=True)) == kept
    assert purge_expired(now=now) == 0  # beat running it twice changes nothing
    assert set(AuditEvent.objects.values_list("pk", flat=True)) == kept


def test_the_purge_runs_as_a_beat_task(settings, organization, hr_manager):
    from audit.tasks import purge_audit_events

    assert settings.CELERY_BEAT_SCHEDULE["purge-audit-events"]["task"] == purge_audit_events.name
    event = record(organization_id=organization.pk, action=Action.DASHBOARD_VIEW, actor=hr_manager)
    AuditEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(days=400))
    assert purge_audit_events.delay().get() == 1
    assert not AuditEvent.objects.exists()


def test_csrf_is_required_to_change_retention(hr_world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr_world.admin)
    assert client.post(reverse("audit:log"), {"days": "90"}).status_code == 403


def test_details_with_a_nul_character_are_recorded_without_it(organization):
    """An odd search (?q=%00) must not fail the page that records it: PostgreSQL's jsonb refuses NUL."""
    event = record(
        organization_id=organization.pk, action=Action.DASHBOARD_VIEW, details={"q": "a\x00b", "k\x00": ["\x00"]}
    )
    event.refresh_from_db()
    assert event.details == {"q": "ab", "k": [""]}
