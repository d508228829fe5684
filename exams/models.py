"""Blueprints (what an exam form looks like) and attempts (one candidate sitting one form).

Attempt state machine — transitions happen only in exams/services.py, each as a conditional UPDATE:

    OPEN ──submit (button, timer, sweeper)──▶ SUBMITTED ──score task──▶ SCORED
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, Membership, Organization
from questions.models import Exam, Question, QuestionVersion, SyllabusArea


class Blueprint(models.Model):
    # JDLA publishes no pass mark: this default is Moshi's assumption, shown as 目安 (a guide) everywhere.
    DEFAULT_PASS_RATIO = 0.70

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="blueprints", verbose_name=_("試験"))
    name = models.CharField(_("名称"), max_length=100)
    slug = models.SlugField(unique=True)
    minutes = models.PositiveIntegerField(_("制限時間（分）"))
    question_count = models.PositiveIntegerField(_("問題数"))
    pass_ratio = models.FloatField(_("合格ライン（目安・正答率）"), default=DEFAULT_PASS_RATIO)
    shuffle_questions = models.BooleanField(_("問題順をシャッフル"), default=True)
    shuffle_choices = models.BooleanField(_("選択肢順をシャッフル"), default=True)
    requires_framework = models.BooleanField(_("フレームワーク選択（E資格）"), default=False)
    # A drill lets the candidate pick areas and a count; time is seconds_per_question × count.
    is_drill = models.BooleanField(_("分野別ドリル"), default=False)
    seconds_per_question = models.PositiveIntegerField(_("1問あたりの目安秒数"), default=36)
    organizations = models.ManyToManyField(
        Organization, blank=True, related_name="blueprints", verbose_name=_("受験できる組織（空なら全員）")
    )
    is_active = models.BooleanField(_("公開"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("出題形式")
        verbose_name_plural = _("出題形式")
        constraints = [
            models.CheckConstraint(condition=models.Q(pass_ratio__gt=0, pass_ratio__lte=1), name="pass_ratio_0_1"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.pk and not self.is_drill:
            total = sum(q.count for q in self.quotas.all())
            if total != self.question_count:
                raise ValidationError(
                    _("分野ごとの出題数の合計（%(total)d）が問題数（%(count)d）と一致しません。")
                    % {"total": total, "count": self.question_count}
                )


class BlueprintQuota(models.Model):
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="quotas")
    area = models.ForeignKey(SyllabusArea, on_delete=models.PROTECT, verbose_name=_("分野"))
    count = models.PositiveIntegerField(_("出題数"))

    class Meta:
        ordering = ["area__order"]
        verbose_name = _("分野別出題数")
        verbose_name_plural = _("分野別出題数")
        constraints = [models.UniqueConstraint(fields=["blueprint", "area"], name="quota_area_unique")]

    def __str__(self) -> str:
        return f"{self.area.code}: {self.count}"


class Attempt(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("受験中")
        SUBMITTED = "submitted", _("採点中")
        SCORED = "scored", _("採点済み")

    class SubmittedBy(models.TextChoices):
        CANDIDATE = "candidate", _("受験者")
        TIMER = "timer", _("時間切れ（画面）")
        SWEEPER = "sweeper", _("時間切れ（サーバー）")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    blueprint = models.ForeignKey(Blueprint, on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    framework = models.CharField(max_length=12, choices=Question.Framework.choices, default=Question.Framework.COMMON)
    seed = models.BigIntegerField()
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.CharField(max_length=10, choices=SubmittedBy.choices, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    question_count = models.PositiveIntegerField()
    correct_count = models.PositiveIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)  # correct / question_count, 0..1
    passed = models.BooleanField(null=True, blank=True)
    pass_ratio = models.FloatField()  # the blueprint's line when the attempt started
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "blueprint", "status"]),
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["blueprint", "status", "scored_at"]),
            models.Index(fields=["updated_at", "id"]),  # the HR API's incremental sync (updated_since)
        ]
        constraints = [
            # One open attempt per candidate and blueprint: starting again resumes it.
            models.UniqueConstraint(
                fields=["user", "blueprint"], condition=models.Q(status="open"), name="one_open_attempt_per_blueprint"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.blueprint} · {self.get_status_display()}"


class AttemptItem(models.Model):
    """One question of an attempt: the exact version shown, the order its choices were shown in,
    and the candidate's answer. Autosave updates exactly this row."""

    # No separate index on attempt (the (attempt, position) unique index serves it) nor on area (reports read
    # AttemptAreaResult): every index here is paid 200 times when an exam starts.
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items", db_index=False)
    position = models.PositiveIntegerField()
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(SyllabusArea, on_delete=models.PROTECT, related_name="+", db_index=False)
    # VersionChoice ids in the order shown. The browser only ever sees positions in this list (0, 1, …),
    # never ids, which follow the author's order and so could hint at the key.
    choice_order = models.JSONField()
    choice_count = models.PositiveSmallIntegerField()
    multiple = models.BooleanField(default=False)  # select-all-that-apply
    selected = models.JSONField(default=list)  # positions in choice_order
    flagged = models.BooleanField(default=False)
    client_seq = models.BigIntegerField(default=0)  # newest autosave applied; older ones are ignored
    answered_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(null=True, blank=True)
    is_correct = models.BooleanField(null=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="item_position_unique")]

    def __str__(self) -> str:
        return f"{self.attempt_id} #{self.position}"


class AttemptAreaResult(models.Model):
    """Correct / total per syllabus area (leaf and top level) of a scored attempt: the per-topic facts
    that reports and HR aggregates read."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="area_results")
    area = models.ForeignKey(SyllabusArea, on_delete=models.PROTECT, related_name="+")
    correct = models.PositiveIntegerField()
    total = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "area"], name="area_result_unique")]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.area_id}: {self.correct}/{self.total}"


class KeyCorrection(models.Model):
    """Audit record of a regrade: a published version's key was wrong; who corrected it, from what to what,
    and how many scored attempts changed as a result."""

    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("版"))
    old_key = models.JSONField(_("訂正前の正解（選択肢ID）"))
    new_key = models.JSONField(_("訂正後の正解（選択肢ID）"))
    reason = models.TextField(_("理由"))
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("訂正者")
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)
    attempts_rescored = models.PositiveIntegerField(_("再採点した受験"), default=0)
    attempts_changed = models.PositiveIntegerField(_("得点が変わった受験"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("正解の訂正（再採点）")
        verbose_name_plural = _("正解の訂正（再採点）")

    def __str__(self) -> str:
        return f"{self.version} {self.old_key} → {self.new_key}"


class Assignment(models.Model):
    """HR asks departments and/or named members to take a blueprint by a due date. A member has done it
    with a submitted attempt of the blueprint started at or after `opens_at`; on time if submitted before
    `due_at`. Both are instants (midnight, Tokyo) so SQL compares them per row; people pick dates."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="assignments")
    blueprint = models.ForeignKey(Blueprint, on_delete=models.PROTECT, related_name="+", verbose_name=_("模擬試験"))
    opens_at = models.DateTimeField(_("この日以降の受験を数える"))
    due_at = models.DateTimeField(_("期限（この時刻まで）"))
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="assignments", verbose_name=_("対象の部署")
    )
    members = models.ManyToManyField(
        Membership, blank=True, related_name="assignments", verbose_name=_("対象のメンバー")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("課題")
        verbose_name_plural = _("課題")
        indexes = [models.Index(fields=["organization", "due_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(due_at__gt=models.F("opens_at")), name="due_after_open")
        ]

    def __str__(self) -> str:
        return f"{self.blueprint} — {self.due_on:%Y-%m-%d}"

    @property
    def due_on(self):
        """The last day, as HR chose it."""
        return timezone.localtime(self.due_at - timedelta(microseconds=1)).date()

    @property
    def opens_on(self):
        return timezone.localtime(self.opens_at).date()


class RealResult(models.Model):
    """A member's result in the real JDLA exam (not a mock): which session, when, and whether they passed.
    Recorded by the member or by HR for them; companies compare it with mock readiness."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="real_results")
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="+", verbose_name=_("試験"))
    session = models.CharField(
        _("回"), max_length=10, help_text=_("年#回 の形で。例: 2025#6（2025年 第6回）"),
        validators=[RegexValidator(r"^20\d\d#\d{1,2}$", _("年#回 の形で入力してください（例: 2025#6）。"))],
    )  # fmt: skip
    taken_on = models.DateField(_("受験日"))
    passed = models.BooleanField(_("合格"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("本番試験の結果")
        verbose_name_plural = _("本番試験の結果")
        constraints = [models.UniqueConstraint(fields=["user", "exam", "session"], name="real_result_once_per_session")]
        indexes = [models.Index(fields=["updated_at", "id"])]  # the HR API's updated_since

    def __str__(self) -> str:
        return f"{self.user} {self.exam} {self.session}: {'passed' if self.passed else 'failed'}"
