"""Reminders (督促): a mail N days before an assignment's due date and one when it is overdue, to the members it is
for who have not done it (hr.selectors.assignment_targets decides, the one rule for done); a weekly digest to HR
managers and org admins; a post per assignment and reminder to the organization's Teams / Slack channel.

Exactly once: each mail or post is a ReminderSent row, claimed before anything is sent (insert, ignoring the
one that is already there; or take over a claim left pending longer than CLAIM_TIMEOUT or released after an
error, with a conditional UPDATE only one run can win). Only the run holding the claim sends, then marks the
row sent. Queries are per organization, assignment and batch of BATCH recipients, never per recipient.
"""

import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from organizations.models import REPORT_ROLES, Membership

from . import webhooks
from .models import Assignment, ReminderSent, ReminderSettings
from .selectors import assignment_targets, with_completion

logger = logging.getLogger(__name__)

# Longer than CELERY_TASK_TIME_LIMIT (5 minutes): a claim this old has no live worker behind it.
CLAIM_TIMEOUT = timedelta(minutes=10)
# An overdue mail goes out in the week after the due date, not for an assignment long past when reminders are
# switched on later; the digest lists assignments still open or overdue within that week.
OVERDUE_WINDOW = timedelta(days=7)
BATCH = 200
DIGEST_NAMES = 50  # overdue names listed per assignment in a digest; the rest are counted
POST_NAMES = 30
# A mail the server keeps refusing (a dead address) or a channel that stays broken is given up after this many
# tries, i.e. after a few hours of half-hourly runs; the row keeps its last error for the admin.
MAX_TRIES = 5

Kind, Channel, Status = ReminderSent.Kind, ReminderSent.Channel, ReminderSent.Status


def organizations_to_remind() -> list[int]:
    return list(ReminderSettings.objects.filter(enabled=True).order_by("pk").values_list("organization_id", flat=True))


def reminders_send(*, now: datetime | None = None) -> Counter:
    """Every organization with reminders on, in turn. Returns what was sent, by kind and channel."""
    sent: Counter = Counter()
    for organization_id in organizations_to_remind():
        sent += organization_reminders_send(organization_id=organization_id, now=now)
    return sent


def organization_reminders_send(*, organization_id: int, now: datetime | None = None) -> Counter:
    """One organization's due reminders, posts and digest; nothing if its reminders are off."""
    now = now or timezone.now()
    run = uuid.uuid4().hex
    options = (
        ReminderSettings.objects.filter(organization_id=organization_id, enabled=True)
        .select_related("organization")
        .first()
    )
    if options is None:
        return Counter()
    sent: Counter = Counter()
    organization_id = options.organization_id
    # The due-soon mail goes from the start of the day N days before the due date; due_at is the midnight after it.
    due_soon = Assignment.objects.filter(
        organization_id=organization_id,
        opens_at__lte=now,
        due_at__gt=now,
        due_at__lte=now + timedelta(days=options.due_soon_days + 1),
    )
    overdue = Assignment.objects.filter(
        organization_id=organization_id, due_at__lte=now, due_at__gt=now - OVERDUE_WINDOW
    )
    for kind, assignments in ((Kind.DUE_SOON, due_soon), (Kind.OVERDUE, overdue)):
        for assignment in assignments.select_related("blueprint", "organization").order_by("due_at", "pk"):
            sent += _assignment_reminders_send(assignment=assignment, kind=kind, options=options, now=now, run=run)
    if options.weekly_digest:
        sent += _digest_send(options=options, now=now, run=run)
    return sent


# --- Claims -------------------------------------------------------------------------------------------------


def _stale(now: datetime) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)


def _claim(*, new_rows: list[ReminderSent], same_rows, run: str, now: datetime) -> list[ReminderSent]:
    """Claim the rows for this run: insert those not there yet (a conflict means another run has them), take over
    the ones left stale, and return the rows this run now holds. `same_rows` selects the batch's rows by key."""
    for row in new_rows:
        row.claim, row.claimed_at = run, now
    ReminderSent.objects.bulk_create(new_rows, ignore_conflicts=True)
    # A conditional UPDATE: of two runs taking over the same stale row, the second finds it no longer stale.
    same_rows.filter(status=Status.PENDING, tries__lt=MAX_TRIES).filter(_stale(now)).update(claim=run, claimed_at=now)
    return list(same_rows.filter(status=Status.PENDING, claim=run))


def _settle(*, sent: list[int], failed: list[int], error: str, run: str, now: datetime) -> None:
    """Sent rows are done; failed ones are released at once so the next run retries them."""
    if sent:
        ReminderSent.objects.filter(pk__in=sent, claim=run).update(
            status=Status.SENT, sent_at=now, tries=F("tries") + 1, last_error=""
        )
    if failed:
        ReminderSent.objects.filter(pk__in=failed, claim=run).update(
            claimed_at=None, tries=F("tries") + 1, last_error=error[:300]
        )


def _mail_deliver(messages: list[tuple[int, EmailMultiAlternatives]], *, run: str, now: datetime) -> int:
    """Send each claimed row's mail over one connection and settle the rows, whatever happens half-way: what went
    out is marked sent even if a later message (or the connection) fails, and the rest is released."""
    if not messages:
        return 0  # every row of the batch is another run's: no SMTP session for nothing
    sent: list[int] = []
    failed: list[int] = []
    error = ""
    try:
        with get_connection() as connection:
            for pk, message in messages:
                message.connection = connection
                try:
                    message.send()
                except OSError as exc:  # smtplib's errors are OSErrors: this message failed, not the batch
                    failed.append(pk)
                    error = f"{type(exc).__name__}: {exc}"
                else:
                    sent.append(pk)
    except Exception as exc:
        done = set(sent) | set(failed)
        failed += [pk for pk, _message in messages if pk not in done]
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        _settle(sent=sent, failed=failed, error=error, run=run, now=now)
        if failed:
            logger.warning("reminder mails failed (%d, retried next run): %s", len(failed), error)
    return len(sent)


# --- Members' mails and channel posts ------------------------------------------------------------------------


def _start_link(assignment: Assignment) -> str:
    """Where the member starts it: a full mock's start page; a drill starts from the home page's card (a form
    that carries its areas)."""
    if assignment.blueprint.is_drill:
        return settings.SITE_URL + reverse("home")
    return settings.SITE_URL + reverse("exams:start", args=[assignment.blueprint.slug])


def _incomplete_targets(assignment: Assignment, kind: str):
    """Active members the assignment is for who have not done it, each with `mailed`: whether this reminder has
    already gone to them."""
    mailed = ReminderSent.objects.filter(
        assignment_id=assignment.pk, member_id=OuterRef("pk"), kind=kind, channel=Channel.MAIL, status=Status.SENT
    )
    return (
        assignment_targets(assignment=assignment)
        .filter(done_at__isnull=True, user__is_active=True)
        .annotate(mailed=Exists(mailed))
    )


def _member_mail(assignment: Assignment, member: Membership, kind: str) -> EmailMultiAlternatives:
    user = member.user
    with translation.override(user.preferred_language):
        context = {
            "assignment": assignment,
            "kind": kind,
            "name": user.display_name or user.email,
            "organization": assignment.organization.name,
            "link": _start_link(assignment),
        }
        subject = " ".join(render_to_string("hr/email/reminder_subject.txt", context).split())
        text = render_to_string("hr/email/reminder_body.txt", context)
        html = render_to_string("hr/email/reminder_body.html", context)
    message = EmailMultiAlternatives(subject, text, None, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def _assignment_reminders_send(
    *, assignment: Assignment, kind: str, options: ReminderSettings, now: datetime, run: str
) -> Counter:
    sent: Counter = Counter()
    pending = list(_incomplete_targets(assignment, kind))  # one query: members, their users, done, mailed
    not_mailed = [m for m in pending if not m.mailed]
    for start in range(0, len(not_mailed), BATCH):
        batch = {m.pk: m for m in not_mailed[start : start + BATCH]}
        claimed = _claim(
            new_rows=[
                ReminderSent(
                    organization_id=assignment.organization_id,
                    assignment=assignment,
                    member_id=pk,
                    kind=kind,
                    channel=Channel.MAIL,
                )
                for pk in batch
            ],
            same_rows=ReminderSent.objects.filter(
                assignment=assignment, kind=kind, channel=Channel.MAIL, member_id__in=list(batch)
            ),
            run=run,
            now=now,
        )
        messages = [(row.pk, _member_mail(assignment, batch[row.member_id], kind)) for row in claimed]
        sent[f"{kind}:mail"] += _mail_deliver(messages, run=run, now=now)
    if pending:
        for channel, url in ((Channel.TEAMS, options.teams_webhook_url), (Channel.SLACK, options.slack_webhook_url)):
            if url:
                sent[f"{kind}:{channel}"] += _channel_post(
                    assignment=assignment, kind=kind, channel=channel, url=url, pending=pending, now=now, run=run
                )
    return sent


def _post_text(assignment: Assignment, kind: str, pending: list[Membership]) -> str:
    """The channel message, in the organization's language: counts, and for an overdue one the names (never an
    email address) of who has not done it."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "assignment": assignment,
            "kind": kind,
            "pending": len(pending),
            "names": [_post_name(m) for m in pending[:POST_NAMES]],
            "more": max(len(pending) - POST_NAMES, 0),
            "link": settings.SITE_URL + reverse("hr:assignment_detail", args=[assignment.pk]),
        }
        return render_to_string("hr/email/reminder_post.txt", context).strip()


def _post_name(membership: Membership) -> str:
    # As the organization's pages show the member (Membership.shown_name), but never the email address.
    if membership.is_anonymized:
        return membership.shown_name
    return membership.user.display_name or _("（名前未設定）")


def _channel_post(
    *, assignment: Assignment, kind: str, channel: str, url: str, pending: list[Membership], now: datetime, run: str
) -> int:
    """One post per assignment, reminder and channel. A failure (a 500, a timeout) releases the claim: the next
    run posts again, and the members' mails do not wait for it."""
    claimed = _claim(
        new_rows=[
            ReminderSent(organization_id=assignment.organization_id, assignment=assignment, kind=kind, channel=channel)
        ],
        same_rows=ReminderSent.objects.filter(assignment=assignment, kind=kind, channel=channel),
        run=run,
        now=now,
    )
    if not claimed:
        return 0
    [row] = claimed
    try:
        webhooks.webhook_post(
            url, webhooks.webhook_payload(_post_text(assignment, kind, pending), channel=channel), channel=channel
        )
    except webhooks.WebhookError as error:
        logger.warning(
            "reminder post to %s failed for assignment %s (retried next run): %s", channel, assignment.pk, error
        )
        _settle(sent=[], failed=[row.pk], error=str(error), run=run, now=now)
        return 0
    _settle(sent=[row.pk], failed=[], error="", run=run, now=now)
    return 1


# --- The weekly digest ---------------------------------------------------------------------------------------


@dataclass
class DigestLine:
    assignment: Assignment
    done: int
    targets: int
    overdue_names: list[str]
    overdue_more: int
    link: str

    @property
    def is_overdue(self) -> bool:
        return bool(self.overdue_names or self.overdue_more)


def week_of(now: datetime):
    """The Monday (Tokyo) of the week `now` is in: what a digest is sent once for."""
    today = timezone.localtime(now).date()
    return today - timedelta(days=today.weekday())


def digest_lines(*, organization_id: int, now: datetime) -> list[DigestLine]:
    """Per open assignment (open now, or due within the last OVERDUE_WINDOW): done / targets, and who is overdue.
    Completion is one query for all of them; the overdue names one per assignment past its due date."""
    assignments = list(
        Assignment.objects.filter(organization_id=organization_id, opens_at__lte=now, due_at__gt=now - OVERDUE_WINDOW)
        .select_related("blueprint")
        .order_by("due_at", "pk")
    )
    lines = []
    for assignment in with_completion(organization_id, assignments):
        names: list[str] = []
        more = 0
        if assignment.due_at <= now:
            overdue = assignment_targets(assignment=assignment).filter(done_at__isnull=True)
            people = list(overdue[: DIGEST_NAMES + 1])
            names = [m.shown_name for m in people[:DIGEST_NAMES]]
            more = overdue.count() - DIGEST_NAMES if len(people) > DIGEST_NAMES else 0
        lines.append(
            DigestLine(
                assignment=assignment,
                done=assignment.done,
                targets=assignment.targets,
                overdue_names=names,
                overdue_more=more,
                link=settings.SITE_URL + reverse("hr:assignment_detail", args=[assignment.pk]),
            )
        )
    return lines


def _digest_mail(user, organization_name: str, lines: list[DigestLine], week) -> EmailMultiAlternatives:
    with translation.override(user.preferred_language):
        context = {
            "name": user.display_name or user.email,
            "organization": organization_name,
            "lines": lines,
            "week": week,
            "link": settings.SITE_URL + reverse("hr:assignments"),
        }
        subject = " ".join(render_to_string("hr/email/digest_subject.txt", context).split())
        text = render_to_string("hr/email/digest_body.txt", context)
        html = render_to_string("hr/email/digest_body.html", context)
    message = EmailMultiAlternatives(subject, text, None, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def _digest_send(*, options: ReminderSettings, now: datetime, run: str) -> Counter:
    """The week's digest to each HR manager and org admin who has not had it, at the first run of the week at
    which the organization has an open assignment."""
    week = week_of(now)
    organization = options.organization
    had_it = ReminderSent.objects.filter(
        organization_id=organization.pk, week=week, kind=Kind.DIGEST, member_id=OuterRef("pk"), status=Status.SENT
    )
    recipients = list(
        Membership.objects.filter(organization_id=organization.pk, is_active=True, role__in=REPORT_ROLES)
        .filter(user__is_active=True)
        .exclude(Exists(had_it))
        .select_related("user")
        .order_by("pk")
    )
    if not recipients:
        return Counter()
    lines = digest_lines(organization_id=organization.pk, now=now)
    if not lines:
        return Counter()
    sent: Counter = Counter()
    for start in range(0, len(recipients), BATCH):
        batch = {m.pk: m for m in recipients[start : start + BATCH]}
        claimed = _claim(
            new_rows=[
                ReminderSent(organization_id=organization.pk, member_id=pk, kind=Kind.DIGEST, week=week) for pk in batch
            ],
            same_rows=ReminderSent.objects.filter(
                organization_id=organization.pk, week=week, kind=Kind.DIGEST, member_id__in=list(batch)
            ),
            run=run,
            now=now,
        )
        messages = [
            (row.pk, _digest_mail(batch[row.member_id].user, organization.name, lines, week)) for row in claimed
        ]
        sent["digest:mail"] += _mail_deliver(messages, run=run, now=now)
    return sent
