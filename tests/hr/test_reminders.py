"""Reminders (督促): who gets which mail when, in which language, and that each goes out exactly once however
often beat runs and wherever a run dies."""

import random
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hr import reminders
from hr.models import Assignment, ReminderSent, ReminderSettings
from hr.reminders import CLAIM_TIMEOUT, reminders_send
from hr.services import assignment_create, reminder_settings_update
from hr.tasks import send_reminders
from organizations.models import Department
from privacy.services import member_personal_data_remove
from tests.factories import MembershipFactory
from tests.world import bulk_members, take

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(organization):
    return Department.objects.create(organization=organization, name="営業部")


@pytest.fixture
def people(organization, sales, cohort_blueprint):
    """Sales has three members who have not done it (one reads English), one who has, and one who left; another
    department's member is not a target."""
    return {
        "ja": MembershipFactory(organization=organization, department=sales, user__display_name="山田太郎"),
        "en": MembershipFactory(
            organization=organization, department=sales, user__display_name="Jane Doe", user__preferred_language="en"
        ),
        "late": MembershipFactory(organization=organization, department=sales, user__display_name="佐藤花子"),
        "done": MembershipFactory(organization=organization, department=sales, user__display_name="鈴木一郎"),
        "left": MembershipFactory(organization=organization, department=sales, is_active=False),
        "elsewhere": MembershipFactory(organization=organization),
    }


@pytest.fixture
def assignment(organization, hr_manager, sales, people, cohort_blueprint):
    """Due at the end of the day after tomorrow; 鈴木 has done it."""
    made = assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=timezone.localdate() + timedelta(days=2),
        departments=[sales],
        note="12月の研修",
        by=hr_manager,
    )
    take(cohort_blueprint, user=people["done"].user, right=4, rng=random.Random(1))
    return made


@pytest.fixture
def reminders_on(organization, hr_manager):
    return reminder_settings_update(
        organization=organization, enabled=True, due_soon_days=3, weekly_digest=False, by=hr_manager
    )


def recipients(messages=None) -> list[str]:
    return sorted(address for m in (mail.outbox if messages is None else messages) for address in m.to)


def emails_of(*memberships) -> list[str]:
    return sorted(m.user.email for m in memberships)


def test_due_soon_goes_once_to_members_of_the_departments_who_have_not_done_it(
    assignment, people, reminders_on, cohort_blueprint
):
    sent = reminders_send()
    assert sent["due_soon:mail"] == 3
    assert recipients() == emails_of(people["ja"], people["en"], people["late"])
    by_person = {m.to[0]: m for m in mail.outbox}
    ja = by_person[people["ja"].user.email]
    assert cohort_blueprint.name in ja.subject and "期限" in ja.subject
    link = f"{settings.SITE_URL}/exams/{cohort_blueprint.slug}/"
    assert link in ja.body and "山田太郎 様" in ja.body and "12月の研修" in ja.body
    due = assignment.due_on
    assert f"{due.year}年{due.month}月{due.day}日 23:59（日本時間）" in ja.body
    [(html, mimetype)] = ja.alternatives
    assert mimetype == "text/html" and '<html lang="ja">' in html and f'href="{link}"' in html
    assert "配信停止はできません" in ja.body  # mandatory work mail: said so, no unsubscribe

    # The English reader's mail is rendered in English: English date format and an English HTML document.
    en = by_person[people["en"].user.email]
    assert due.strftime("%b") in en.body and f"{due.day}, {due.year}" in en.body and "年" not in en.subject
    assert '<html lang="en">' in en.alternatives[0][0]

    assert reminders_send() == {} and len(mail.outbox) == 3  # the second run sends nothing
    assert send_reminders.delay().get() == 1  # the beat task, through Celery (eager here): one organization queued
    assert len(mail.outbox) == 3
    assert ReminderSent.objects.filter(kind="due_soon", status="sent").count() == 3


def test_due_soon_starts_n_days_before_the_due_date(organization, hr_manager, sales, people, cohort_blueprint):
    reminder_settings_update(
        organization=organization, enabled=True, due_soon_days=3, weekly_digest=False, by=hr_manager
    )
    far = assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=timezone.localdate() + timedelta(days=10),
        departments=[sales],
        by=hr_manager,
    )
    three_days_before = far.due_at - timedelta(days=4)  # the start of the day three days before the due date
    assert timezone.localtime(three_days_before).date() == far.due_on - timedelta(days=3)
    assert reminders_send(now=three_days_before - timedelta(minutes=1)) == {} and mail.outbox == []
    assert reminders_send(now=three_days_before)["due_soon:mail"] == 4


def test_overdue_goes_once_after_the_due_date_to_who_has_still_not_done_it(
    assignment, people, reminders_on, cohort_blueprint
):
    reminders_send()
    take(cohort_blueprint, user=people["late"].user, right=4, rng=random.Random(2))  # 佐藤 does it, late
    mail.outbox.clear()
    after = assignment.due_at + timedelta(hours=1)
    from exams.models import Attempt

    Attempt.objects.filter(user=people["late"].user).update(submitted_at=after - timedelta(minutes=5))
    assert reminders_send(now=after)["overdue:mail"] == 2
    assert recipients() == emails_of(people["ja"], people["en"])
    subjects = {m.to[0]: m.subject for m in mail.outbox}  # each in its reader's language
    assert "期限が過ぎています" in subjects[people["ja"].user.email]
    assert "is overdue" in subjects[people["en"].user.email]
    assert reminders_send(now=after + timedelta(hours=3)) == {}
    assert len(mail.outbox) == 2


def test_an_assignment_long_overdue_is_not_chased(assignment, reminders_on):
    assert reminders_send(now=assignment.due_at + reminders.OVERDUE_WINDOW + timedelta(minutes=1)) == {}
    assert mail.outbox == []


def test_reminders_are_off_unless_the_organization_turns_them_on(organization, hr_manager, assignment):
    assert not ReminderSettings.objects.exists()
    assert reminders_send() == {} and mail.outbox == []
    reminder_settings_update(
        organization=organization, enabled=False, due_soon_days=3, weekly_digest=True, by=hr_manager
    )
    assert reminders_send() == {} and mail.outbox == []
    reminder_settings_update(
        organization=organization, enabled=True, due_soon_days=3, weekly_digest=False, by=hr_manager
    )
    assert reminders_send()["due_soon:mail"] == 3


def test_the_weekly_digest_goes_to_hr_and_org_admins_once_a_week(
    organization, hr_manager, assignment, people, cohort_blueprint, sales
):
    admin = MembershipFactory(organization=organization, role="org_admin", user__preferred_language="en").user
    reminder_settings_update(
        organization=organization, enabled=True, due_soon_days=1, weekly_digest=True, by=hr_manager
    )
    after = assignment.due_at + timedelta(hours=10)  # overdue: the digest names who has not done it
    sent = reminders_send(now=after)
    assert sent["digest:mail"] == 2 and sent["overdue:mail"] == 3
    digests = [m for m in mail.outbox if m.to[0] in (hr_manager.email, admin.email)]
    assert recipients(digests) == sorted([hr_manager.email, admin.email])
    ja = next(m for m in digests if m.to[0] == hr_manager.email)
    assert organization.name in ja.subject and cohort_blueprint.name in ja.body
    assert "1 / 4" in ja.body  # 鈴木 of the four active sales members
    for name in ("山田太郎", "Jane Doe", "佐藤花子"):
        assert name in ja.body and name in ja.alternatives[0][0]
    assert "鈴木一郎" not in ja.body and people["ja"].user.email not in ja.body
    en = next(m for m in digests if m.to[0] == admin.email)
    assert '<html lang="en">' in en.alternatives[0][0]

    mail.outbox.clear()
    later = after + timedelta(hours=2)
    assert reminders.week_of(later) == reminders.week_of(after)
    assert reminders_send(now=later) == {}  # the same week
    next_week = reminders.week_of(after) + timedelta(days=7)
    monday = timezone.make_aware(timezone.datetime.combine(next_week, timezone.datetime.min.time())) + timedelta(
        hours=9
    )
    # Still overdue within the digest's window next Monday, whatever weekday the test runs on (run on a Friday,
    # the fixture's due date was a Sunday, eight days before that Monday and out of the window).
    Assignment.objects.filter(pk=assignment.pk).update(due_at=monday - timedelta(days=1))
    assert reminders_send(now=monday)["digest:mail"] == 2


def test_a_member_whose_personal_data_was_removed_is_named_as_the_pages_name_them(
    organization, hr_manager, assignment, people
):
    """Removal keeps the membership (its figures and assignments count as before) but the organization's
    records show 退会者 (Membership.shown_name): the digest and the channel posts too, not the account's name
    or address."""
    admin = MembershipFactory(organization=organization, role="org_admin").user
    member_personal_data_remove(membership=people["late"], by=admin)
    reminder_settings_update(
        organization=organization, enabled=True, due_soon_days=1, weekly_digest=True, by=hr_manager
    )
    reminders_send(now=assignment.due_at + timedelta(hours=10))
    digest = next(m for m in mail.outbox if m.to[0] == hr_manager.email)
    late = people["late"].user
    for text in (digest.body, digest.alternatives[0][0]):
        assert "退会者" in text and "山田太郎" in text
        assert late.display_name not in text and late.email not in text
    pending = list(reminders.assignment_targets(assignment=assignment).filter(done_at__isnull=True))
    post = reminders._post_text(assignment, "overdue", pending)
    assert "退会者" in post and "山田太郎" in post and late.display_name not in post and "@" not in post


class BrokenAfterOneBackend:
    """A mail backend whose connection breaks after the first message (the worker's SMTP session dies)."""

    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_messages(self, messages):
        if BrokenAfterOneBackend.sent:
            raise RuntimeError("connection lost")
        BrokenAfterOneBackend.sent.extend(messages)
        return len(messages)


def test_a_crash_mid_batch_then_a_rerun_sends_each_exactly_once(assignment, people, reminders_on):
    BrokenAfterOneBackend.sent = []
    with override_settings(EMAIL_BACKEND="tests.hr.test_reminders.BrokenAfterOneBackend"):
        with pytest.raises(RuntimeError):
            reminders_send()
    assert len(BrokenAfterOneBackend.sent) == 1
    first = BrokenAfterOneBackend.sent[0].to[0]
    # What went out is recorded as sent; the rest is released for the next run, not left to a timeout.
    assert ReminderSent.objects.filter(status="sent").get().member.user.email == first
    assert ReminderSent.objects.filter(status="pending", claimed_at=None).count() == 2
    reminders_send()
    assert sorted([*recipients(), first]) == sorted(emails_of(people["ja"], people["en"], people["late"]))
    assert reminders_send() == {}


def test_a_worker_that_dies_after_claiming_is_taken_over_after_the_timeout(
    assignment, people, reminders_on, monkeypatch
):
    def killed(*args, **kwargs):
        raise SystemExit("worker killed")  # not an Exception: nothing is released, as when the process dies

    with monkeypatch.context() as patch:
        patch.setattr(reminders, "get_connection", killed)
        with pytest.raises(SystemExit):
            reminders_send()
    assert ReminderSent.objects.filter(status="pending").exclude(claimed_at=None).count() == 3
    now = timezone.now()
    # A fresh claim may belong to a worker still sending: it is left alone ...
    assert reminders_send(now=now + timedelta(minutes=1)) == {} and mail.outbox == []
    # ... and taken over once no live worker can hold it.
    assert reminders_send(now=now + CLAIM_TIMEOUT + timedelta(minutes=1))["due_soon:mail"] == 3
    assert recipients() == emails_of(people["ja"], people["en"], people["late"])
    assert reminders_send(now=now + 2 * CLAIM_TIMEOUT) == {} and len(mail.outbox) == 3


def test_two_runs_at_once_send_each_mail_once(assignment, people, reminders_on, monkeypatch):
    """Run B starts while run A is sending (A has claimed its rows): B finds nothing of its own to send."""
    deliver = reminders._mail_deliver
    inner: list = []

    def deliver_while_another_run_starts(messages, *, run, now):
        if not inner:
            inner.append(None)
            inner[0] = reminders_send(now=now)  # run B, from start to end, in the middle of run A
        return deliver(messages, run=run, now=now)

    monkeypatch.setattr(reminders, "_mail_deliver", deliver_while_another_run_starts)
    outer = reminders_send()
    assert inner == [{}] and outer["due_soon:mail"] == 3
    assert recipients() == emails_of(people["ja"], people["en"], people["late"])


def test_queries_do_not_grow_with_the_members_reminded(organization, hr_manager, cohort_blueprint):
    reminder_settings_update(
        organization=organization, enabled=True, due_soon_days=3, weekly_digest=True, by=hr_manager
    )

    def run_with(n: int, start: int) -> tuple[int, int]:
        """Queries and mails of a run over one assignment for n members (and the digest)."""
        Assignment.objects.all().delete()
        ReminderSent.objects.all().delete()
        department = Department.objects.create(organization=organization, name=f"部署{start}")
        bulk_members(organization, n, department=department, start=start)
        assignment_create(
            organization=organization,
            blueprint=cohort_blueprint,
            due_on=timezone.localdate() + timedelta(days=1),
            departments=[department],
            by=hr_manager,
        )
        mail.outbox.clear()
        with CaptureQueriesContext(connection) as queries:
            reminders_send()
        return len(queries.captured_queries), len(mail.outbox)

    few, few_mails = run_with(3, 0)
    many, many_mails = run_with(40, 100)
    assert (few_mails, many_mails) == (3 + 1, 40 + 1)  # the members, and the HR manager's digest
    # settings, due-soon assignments, targets, claim (insert, take over, read), mark sent, overdue assignments;
    # digest: recipients, claim, open assignments, completion, mark sent: the same for 3 members or 40.
    assert many == few


def test_the_beat_schedule_runs_reminders_in_office_hours():
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "hr.tasks.send_reminders"]
    assert entry["schedule"].hour == set(range(9, 19))


class RefusingBackend(BrokenAfterOneBackend):
    """The server refuses every message (a dead address): each is released with its error."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("550 mailbox unavailable")


def test_a_mail_the_server_keeps_refusing_is_given_up_after_a_few_tries(assignment, people, reminders_on):
    with override_settings(EMAIL_BACKEND="tests.hr.test_reminders.RefusingBackend"):
        for _ in range(reminders.MAX_TRIES + 2):
            assert reminders_send() == {}
    rows = ReminderSent.objects.filter(kind="due_soon")
    assert rows.count() == 3 and {r.tries for r in rows} == {reminders.MAX_TRIES}
    assert all("550" in r.last_error and r.status == "pending" for r in rows)


@pytest.mark.django_db(transaction=True)
def test_two_beat_runs_in_parallel_threads_send_each_mail_once(
    postgresql_only, organization, hr_manager, cohort_blueprint
):
    """Two workers run the task at the same moment, each on its own database connection."""
    import threading

    from django.db import connections

    department = Department.objects.create(organization=organization, name="開発部")
    bulk_members(organization, 30, department=department)
    reminder_settings_update(
        organization=organization, enabled=True, due_soon_days=3, weekly_digest=True, by=hr_manager
    )
    assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=timezone.localdate() + timedelta(days=1),
        departments=[department],
        by=hr_manager,
    )
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait()
            results.append(reminders_send())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r["due_soon:mail"] for r in results) == 30 and sum(r["digest:mail"] for r in results) == 1
    assert len(mail.outbox) == 31 and len(set(recipients())) == 31
    assert ReminderSent.objects.filter(status="sent").count() == 31


def test_names_are_plain_in_the_subject_and_text_and_escaped_in_the_html(
    assignment, people, reminders_on, cohort_blueprint
):
    cohort_blueprint.name = "G検定 <b>本番</b> & 模試"
    cohort_blueprint.save(update_fields=["name"])
    reminders_send()
    message = mail.outbox[0]
    assert "G検定 <b>本番</b> & 模試" in message.subject and "G検定 <b>本番</b> & 模試" in message.body
    html = message.alternatives[0][0]
    assert "<b>本番</b>" not in html and "G検定 &lt;b&gt;本番&lt;/b&gt; &amp; 模試" in html
