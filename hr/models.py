"""The company side: assignments, members' real exam results, and the organization aggregates HR reads."""

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exams.models import Blueprint, KeyHold
from organizations.models import Department, Membership, Organization
from questions.models import Exam, SyllabusArea


class Assignment(models.Model):
    """HR asks departments and/or named members to take a blueprint by a due date. A member has done it
    with a submitted attempt of the blueprint started at or after `opens_at`; on time if submitted before
    `due_at`. Both are instants (midnight, Tokyo) so SQL compares them per row; people pick dates.

    On a drill blueprint the assignment names the syllabus areas to practise (HR picks a department's weak
    areas): only a drill whose questions cover every one of them counts (hr.selectors)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="assignments")
    blueprint = models.ForeignKey(Blueprint, on_delete=models.PROTECT, related_name="+", verbose_name=_("模擬試験"))
    opens_at = models.DateTimeField(_("この日以降の受験を数える"))
    due_at = models.DateTimeField(_("期限（この時刻まで）"))
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    # As Japanese 模試 release 解答・解説 after the sitting window: members who took the mock see their score
    # and area results, but keys, explanations and right/wrong marks only after the due date.
    key_hold = models.OneToOneField(
        KeyHold,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("解答・解説を期限後に公開する"),
    )
    departments = models.ManyToManyField(
        Department, blank=True, related_name="assignments", verbose_name=_("対象の部署")
    )
    members = models.ManyToManyField(
        Membership, blank=True, related_name="assignments", verbose_name=_("対象のメンバー")
    )
    drill_areas = models.ManyToManyField(SyllabusArea, blank=True, related_name="+", verbose_name=_("出題する分野"))
    drill_count = models.PositiveSmallIntegerField(_("問題数"), null=True, blank=True)  # drills only
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "exams_assignment"  # created by exams, before the company side had an app of its own
        verbose_name = _("課題")
        verbose_name_plural = _("課題")
        indexes = [models.Index(fields=["organization", "due_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(due_at__gt=models.F("opens_at")), name="due_after_open")
        ]

    def __str__(self) -> str:
        return f"{self.blueprint} — {self.due_on:%Y-%m-%d}"

    @property
    def hold_keys(self) -> bool:
        return self.key_hold_id is not None

    @property
    def due_on(self):
        """The last day, as HR chose it."""
        return timezone.localtime(self.due_at - timedelta(microseconds=1)).date()

    @property
    def opens_on(self):
        return timezone.localtime(self.opens_at).date()


# How JDLA numbers its sittings: 2026#3 is the third session of 2026.
session_label_validator = RegexValidator(r"^20\d\d#\d{1,2}$", _("年#回 の形で入力してください（例: 2025#6）。"))


class ExamSessionQuerySet(models.QuerySet):
    def held_by(self, day):
        """Sessions that have taken place by `day`: the ones a real result can be recorded for."""
        return self.filter(held_on__lte=day)


class ExamSession(models.Model):
    """One sitting of a real JDLA exam, as JDLA numbers it, and its date: the list members pick from when they
    record a real result. Admins add sessions when JDLA announces them (hr.services seeds a first set)."""

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="+", verbose_name=_("試験"))
    label = models.CharField(
        _("回"), max_length=10, validators=[session_label_validator], help_text=_("例: 2026#3（2026年 第3回）")
    )
    held_on = models.DateField(_("試験日"), help_text=_("何日かにわたる回は、その初日。"))

    objects = ExamSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("本番試験の回")
        verbose_name_plural = _("本番試験の回")
        ordering = ["exam__order", "-held_on"]
        constraints = [models.UniqueConstraint(fields=["exam", "label"], name="exam_session_label_once")]

    def __str__(self) -> str:
        return f"{self.exam} {self.label}"


class RealResult(models.Model):
    """A member's result in the real JDLA exam (not a mock): which session, when, and whether they passed.
    Recorded by the member or by HR for them; companies compare it with mock readiness."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="real_results")
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="+", verbose_name=_("試験"))
    # The session's label, not a key to ExamSession: a recorded result keeps its session when the list is edited.
    session = models.CharField(
        _("回"),
        max_length=10,
        help_text=_("年#回 の形で。例: 2025#6（2025年 第6回）"),
        validators=[session_label_validator],
    )
    taken_on = models.DateField(_("受験日"))
    passed = models.BooleanField(_("合格"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "exams_realresult"  # created by exams, before the company side had an app of its own
        verbose_name = _("本番試験の結果")
        verbose_name_plural = _("本番試験の結果")
        constraints = [models.UniqueConstraint(fields=["user", "exam", "session"], name="real_result_once_per_session")]
        indexes = [models.Index(fields=["updated_at", "id"])]  # the HR API's updated_since

    def __str__(self) -> str:
        return f"{self.user} {self.exam} {self.session}: {'passed' if self.passed else 'failed'}"


# --- Organization aggregates (kept by hr.aggregates from scored full-form attempts) -------------------------
# Each attempt is counted under the department its member was in when it was folded, so a later move does
# not rewrite history. Readers always SUM, so two rows with the same key (after a department is deleted
# and its rows fall back to "no department") still add up correctly; hence no unique constraints here.


class OrgMonthStat(models.Model):
    """Attempts, passes and score sum per organization, department, blueprint and month (Tokyo) started."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, related_name="+")
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    attempts = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    score_sum = models.FloatField(default=0.0)

    class Meta:
        db_table = "analytics_orgmonthstat"  # created by analytics, before the company side had an app of its own
        indexes = [models.Index(fields=["organization", "month"])]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.department_id}/{self.blueprint_id} {self.month}: {self.attempts}"


class OrgAreaStat(models.Model):
    """Correct / total per organization, department, syllabus area (leaf and top level) and month."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, related_name="+")
    area = models.ForeignKey(SyllabusArea, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    correct = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "analytics_orgareastat"  # created by analytics, before the company side had an app of its own
        indexes = [models.Index(fields=["organization", "month"])]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.department_id}/{self.area_id} {self.month}: {self.correct}/{self.total}"


class MemberExamStat(models.Model):
    """One person's full-form mock attempts of one exam as one organization may see them (taken while a member,
    of forms open to it): how many, best, and the latest (for readiness)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_stats")
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    passed_attempts = models.PositiveIntegerField(default=0)
    best_score = models.FloatField()
    latest_score = models.FloatField()
    latest_passed = models.BooleanField()
    latest_pass_ratio = models.FloatField()
    latest_at = models.DateTimeField()  # when the latest attempt started
    # The latest attempt's chance of passing the real exam and its 80% interval, as predicted when it was scored
    # (null for one scored before Moshi made predictions).
    latest_pass_probability = models.FloatField(null=True)
    latest_pass_low = models.FloatField(null=True)
    latest_pass_high = models.FloatField(null=True)

    class Meta:
        db_table = "analytics_memberexamstat"  # created by analytics, before the company side had an app of its own
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "exam"], name="member_exam_stat_unique_in_org")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.exam_id}: {self.attempts} attempts, latest {self.latest_score:.2f}"

    @property
    def readiness(self) -> str:
        return readiness(self.latest_score, self.latest_pass_ratio, self.latest_pass_probability)


# How ready a member is, in four words HR can act on: from the latest full mock's chance of passing the real exam
# when it has one (docs/results.md), else from how close its score is to the pass line.
READY, CLOSE, NOT_YET, NOT_TAKEN = "ready", "close", "not_yet", "not_taken"
READY_CHANCE, CLOSE_CHANCE = 0.8, 0.5
CLOSE_MARGIN = 0.10  # without a chance: within 10 points of the line


def readiness(latest_score: float | None, pass_ratio: float | None, pass_probability: float | None = None) -> str:
    """The rule, for one member; readiness_filter is the same rule in SQL."""
    if latest_score is None:
        return NOT_TAKEN
    if pass_probability is not None:
        if pass_probability >= READY_CHANCE:
            return READY
        return CLOSE if pass_probability >= CLOSE_CHANCE else NOT_YET
    if latest_score >= pass_ratio:
        return READY
    return CLOSE if latest_score >= pass_ratio - CLOSE_MARGIN else NOT_YET


def readiness_filter(level: str, stat: str) -> models.Q:
    """readiness() as a filter on rows that reach a MemberExamStat through `stat` (a relation's name)."""
    score, line = f"{stat}__latest_score", models.F(f"{stat}__latest_pass_ratio")
    chance = f"{stat}__latest_pass_probability"
    no_chance = models.Q(**{f"{chance}__isnull": True})
    return {
        READY: models.Q(**{f"{chance}__gte": READY_CHANCE}) | (no_chance & models.Q(**{f"{score}__gte": line})),
        CLOSE: models.Q(**{f"{chance}__gte": CLOSE_CHANCE, f"{chance}__lt": READY_CHANCE})
        | (no_chance & models.Q(**{f"{score}__lt": line, f"{score}__gte": line - CLOSE_MARGIN})),
        NOT_YET: models.Q(**{f"{chance}__lt": CLOSE_CHANCE})
        | (no_chance & models.Q(**{f"{score}__lt": line - CLOSE_MARGIN})),
        NOT_TAKEN: models.Q(**{f"{stat}__isnull": True}),
    }[level]


# --- Reminders (督促): hr.reminders sends them; docs/organizations.md describes them ---------------------------


class ReminderSettings(models.Model):
    """An organization's reminder settings, edited by its HR managers and org admins. No row: reminders off."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="reminder_settings")
    enabled = models.BooleanField(_("督促メールを送る"), default=False)
    due_soon_days = models.PositiveSmallIntegerField(_("期限の何日前に送るか"), default=3)
    weekly_digest = models.BooleanField(_("週次サマリーを人事・育成担当と管理者に送る"), default=True)
    # Incoming webhook URLs carry their own secret: they are posted to, and shown back only masked.
    teams_webhook_url = models.URLField(_("Microsoft Teams の Webhook URL"), max_length=2000, blank=True)
    slack_webhook_url = models.URLField(_("Slack の Incoming Webhook URL"), max_length=2000, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("督促の設定")
        verbose_name_plural = _("督促の設定")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_soon_days__gte=1, due_soon_days__lte=30), name="reminder_due_soon_days_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {'on' if self.enabled else 'off'}"


class ReminderSent(models.Model):
    """One reminder to one recipient (a member's mail, an HR manager's weekly digest) or one post to a channel.
    The row is claimed (inserted, or a stale claim taken over) BEFORE anything is sent, and its unique key
    makes a second claim impossible: two beat runs, or a rerun after a crash, cannot send it twice. A claim
    that never became `sent` (the worker died, the webhook answered 500) is taken over after CLAIM_TIMEOUT
    (released at once on an error), so it is sent exactly once in the end."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("期限前")
        OVERDUE = "overdue", _("期限切れ")
        DIGEST = "digest", _("週次サマリー")

    class Channel(models.TextChoices):
        MAIL = "mail", _("メール")
        TEAMS = "teams", "Microsoft Teams"
        SLACK = "slack", "Slack"

    class Status(models.TextChoices):
        PENDING = "pending", _("送信中")
        SENT = "sent", _("送信済み")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, null=True, related_name="+")
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.MAIL)
    week = models.DateField(null=True)  # a digest's week: its Monday (Tokyo)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claim = models.CharField(max_length=32)  # the run that holds the row while it sends
    claimed_at = models.DateTimeField(null=True)  # null: released after an error, free to retry
    sent_at = models.DateTimeField(null=True)
    tries = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("送信した督促")
        verbose_name_plural = _("送信した督促")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "member", "kind"],
                condition=models.Q(channel="mail", kind__in=["due_soon", "overdue"]),
                name="reminder_once_per_member",
            ),
            models.UniqueConstraint(
                fields=["assignment", "channel", "kind"],
                condition=~models.Q(channel="mail"),
                name="reminder_post_once_per_channel",
            ),
            # One row per HR recipient, not one per organization: a crash after the first of three digests must
            # not resend the first.
            models.UniqueConstraint(
                fields=["organization", "week", "member"],
                condition=models.Q(kind="digest"),
                name="reminder_digest_once_per_week",
            ),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel} a{self.assignment_id} m{self.member_id} {self.status}"
