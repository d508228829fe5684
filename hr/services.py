"""Writes of the company side: assignments and real exam results."""

import calendar
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import start_of_day
from exams.models import Blueprint, KeyHold
from exams.services import key_hold_create
from organizations.models import REPORT_ROLES, Membership
from questions.models import Exam

from . import webhooks
from .models import Assignment, ExamSession, RealResult, ReminderSettings

# --- Assignments and real exam results -------------------------------------------------------------------


def _require_reports_manager(by, organization_id: int) -> None:
    if not Membership.objects.filter(
        user=by,
        organization_id=organization_id,
        is_active=True,
        role__in=REPORT_ROLES,
    ).exists():
        raise PermissionDenied(_("課題を出せるのは組織の人事・育成担当と管理者だけです。"))


@transaction.atomic
def assignment_create(
    *,
    organization,
    blueprint: Blueprint,
    due_on: date,
    departments=(),
    members=(),
    opens_on: date | None = None,
    note: str = "",
    hold_keys: bool = False,
    drill_areas=(),
    drill_count: int | None = None,
    by,
) -> Assignment:
    """Assign a blueprint to departments and/or members of the organization, due by the end of `due_on`. A drill
    blueprint needs the syllabus areas to practise (of its exam) and takes a number of questions (10 unless said)."""
    _require_reports_manager(by, organization.pk)
    today = timezone.localdate()
    opens_on = opens_on or today
    problems = []
    if not blueprint.is_active or not Blueprint.objects.open_to(organization.pk).filter(pk=blueprint.pk).exists():
        problems.append(_("この模擬試験はこの組織では使えません。"))
    if due_on < today:
        problems.append(_("期限は今日以降の日付にしてください。"))
    if opens_on > due_on:
        problems.append(_("受験を数え始める日は期限より前にしてください。"))
    if not departments and not members:
        problems.append(_("対象の部署かメンバーを選んでください。"))
    if any(d.organization_id != organization.pk for d in departments) or any(
        m.organization_id != organization.pk for m in members
    ):
        problems.append(_("対象は同じ組織の部署とメンバーから選んでください。"))
    problems += _drill_problems(blueprint, drill_areas, drill_count, hold_keys)
    if problems:
        raise DjangoValidationError(problems)
    if blueprint.is_drill:
        drill_count = drill_count or DRILL_COUNT
    opens_at, due_at = start_of_day(opens_on), start_of_day(due_on + timedelta(days=1))
    hold = (
        key_hold_create(organization=organization, blueprint=blueprint, opens_at=opens_at, releases_at=due_at)
        if hold_keys
        else None
    )
    assignment = Assignment.objects.create(
        organization=organization,
        blueprint=blueprint,
        opens_at=opens_at,
        due_at=due_at,
        note=note,
        key_hold=hold,
        drill_count=drill_count if blueprint.is_drill else None,
        created_by=by,
    )
    assignment.departments.set(departments)
    assignment.members.set(members)
    assignment.drill_areas.set(drill_areas)
    return assignment


DRILL_COUNT = 10  # as the result page's "drill this area" for one area
MAX_DRILL_COUNT = 100  # what exams.services.attempt_start accepts


def _drill_problems(blueprint: Blueprint, areas, count: int | None, hold_keys: bool) -> list[str]:
    if not blueprint.is_drill:
        return [_("分野を指定できるのは分野別ドリルの課題だけです。")] if areas else []  # a count is ignored
    problems = []
    if not areas:
        problems.append(_("ドリルで出題する分野を1つ以上選んでください。"))
    if any(a.exam_id != blueprint.exam_id or not a.in_syllabus for a in areas):
        problems.append(_("分野はこのドリルの試験の現行シラバスから選んでください。"))
    if count is not None and not 1 <= count <= MAX_DRILL_COUNT:
        problems.append(_("問題数は1〜%(max)d問にしてください。") % {"max": MAX_DRILL_COUNT})
    if hold_keys:
        # A hold covers every attempt of the blueprint in the organization: on the drill it would hide the keys
        # of everyone's own practice too.
        problems.append(_("分野別ドリルの課題では、解答・解説の公開を遅らせることはできません。"))
    return problems


@transaction.atomic
def assignment_delete(*, assignment: Assignment, by) -> None:
    _require_reports_manager(by, assignment.organization_id)
    assignment.delete()
    if assignment.key_hold_id:  # the keys it held are released with it
        KeyHold.objects.filter(pk=assignment.key_hold_id).delete()


def _may_record_for(by, user) -> bool:
    """A person records their own results; HR of an organization the person belongs to records for them."""
    return (
        by.pk == user.pk
        or Membership.objects.filter(
            user=by,
            is_active=True,
            role__in=REPORT_ROLES,
            organization__memberships__user=user,
        ).exists()
    )


def real_result_record(*, user, exam, session: str, taken_on: date, passed: bool, by) -> RealResult:
    """Record (or correct) a real exam result; one per person, exam and session, of a session already held."""
    if not _may_record_for(by, user):
        raise PermissionDenied(_("本番試験の結果を記録できるのは本人と所属組織の人事担当だけです。"))
    if not user.email_confirmed:
        raise DjangoValidationError(
            _("メールアドレスの確認が済んでいないため記録できません。登録時のメールのリンクを開いてください。")
        )
    if taken_on > timezone.localdate():
        raise DjangoValidationError({"taken_on": _("受験日が未来になっています。")})
    if not ExamSession.objects.held_by(timezone.localdate()).filter(exam=exam, label=session).exists():
        raise DjangoValidationError(
            {
                "session": _(
                    "%(exam)s の「%(session)s」という回は、実施済みの回として登録されていません。"
                    "一覧から選んでください（一覧にない回は、管理者に追加を依頼してください）。"
                )
                % {"exam": exam, "session": session}
            }
        )
    result = RealResult.objects.filter(user=user, exam=exam, session=session).first() or RealResult(
        user=user, exam=exam, session=session
    )
    result.taken_on, result.passed, result.recorded_by = taken_on, passed, by
    result.full_clean()
    result.save()
    return result


def real_result_delete(*, result: RealResult, by) -> None:
    if not _may_record_for(by, result.user):
        raise PermissionDenied(_("本番試験の結果を削除できるのは本人と所属組織の人事担当だけです。"))
    result.delete()


# --- Reminder settings ------------------------------------------------------------------------------------------


@transaction.atomic
def reminder_settings_update(
    *,
    organization,
    enabled: bool,
    due_soon_days: int,
    weekly_digest: bool,
    teams_webhook_url: str | None = None,
    slack_webhook_url: str | None = None,
    by,
) -> ReminderSettings:
    """Save the organization's reminder settings. A webhook URL of None keeps the saved one (the page never shows it
    back), "" removes it; a new one must be https to the service's own host (hr.webhooks)."""
    _require_reports_manager(by, organization.pk)
    options = ReminderSettings.objects.select_for_update().filter(organization=organization).first()
    options = options or ReminderSettings(organization=organization)
    problems: dict[str, list[str]] = {}
    if not 1 <= due_soon_days <= 30:
        problems["due_soon_days"] = [_("1〜30日の間で指定してください。")]
    for field, channel, url in (
        ("teams_webhook_url", webhooks.TEAMS, teams_webhook_url),
        ("slack_webhook_url", webhooks.SLACK, slack_webhook_url),
    ):
        if url is None:
            continue
        try:
            setattr(options, field, webhooks.validate_webhook_url(url, channel=channel) if url.strip() else "")
        except DjangoValidationError as error:
            problems[field] = error.messages
    if problems:
        raise DjangoValidationError(problems)
    options.enabled, options.due_soon_days, options.weekly_digest = enabled, due_soon_days, weekly_digest
    options.updated_by = by
    options.save()
    return options


# --- Real exam sessions ----------------------------------------------------------------------------------------
# The sessions a fresh install starts with, for the years around this release (2025-2027): G検定 six a year (odd
# months, on a Saturday) and E資格 twice (February and August, the first day of its test-centre window). The days
# follow JDLA's usual pattern, not its notices, which this environment could not read: check them against
# https://www.jdla.org/ and correct them in the admin, where next years' sessions are added too.
SEED_YEARS = (2025, 2026, 2027)
SEED_SESSIONS = {
    "g_kentei": [(1, 2), (3, 2), (5, 2), (7, 2), (9, 2), (11, 2)],  # (month, nth Saturday)
    "e_shikaku": [(2, 3), (8, 4)],  # (month, nth Friday)
}


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    days = [week[weekday] for week in calendar.monthcalendar(year, month) if week[weekday]]
    return date(year, month, days[n - 1])


def exam_sessions_seed() -> int:
    """Give each seeded exam that has no sessions yet its first list; an exam with any session is left as the
    admins keep it. Returns how many sessions were created."""
    created = 0
    for exam in Exam.objects.filter(code__in=SEED_SESSIONS):
        if ExamSession.objects.filter(exam=exam).exists():
            continue
        weekday = calendar.SATURDAY if exam.code == Exam.G_KENTEI else calendar.FRIDAY
        sessions = [
            ExamSession(exam=exam, label=f"{year}#{n}", held_on=_nth_weekday(year, month, weekday, nth))
            for year in SEED_YEARS
            for n, (month, nth) in enumerate(SEED_SESSIONS[exam.code], start=1)
        ]
        created += len(ExamSession.objects.bulk_create(sessions))
    return created
