"""Blueprints (what an exam form looks like) and attempts (one candidate sitting one form).

Attempt state machine (Attempt.TRANSITIONS): every change of an attempt's status or result goes through
exams.services.attempt_transition, a conditional UPDATE that stamps updated_at:

    OPEN ──submit (button, timer, sweeper)──▶ SUBMITTED ──score task──▶ SCORED ──regrade──▶ SCORED
      └──abandon (drills only)──▶ ABANDONED
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Membership, Organization
from questions.models import Exam, Question, QuestionVersion, SyllabusArea


def open_to_organization(private_to: set[int], organization_id: int) -> bool:
    """Who may take a blueprint, for one organization: a blueprint with no organizations is public; one with
    organizations is private to them. BlueprintQuerySet says the same in SQL."""
    return not private_to or organization_id in private_to


class BlueprintQuerySet(models.QuerySet):
    def open_to(self, organization_id: int):
        """Blueprints an organization's members may take (and the organization may see results of)."""
        return self.filter(models.Q(organizations=None) | models.Q(organizations=organization_id))

    def available_to(self, user):
        """Active blueprints this person may take: public ones and those of an organization they are an
        active member of."""
        organizations = Membership.objects.filter(user=user, is_active=True).values("organization_id")
        return (
            self.filter(is_active=True)
            .filter(models.Q(organizations=None) | models.Q(organizations__in=organizations))
            .distinct()
        )


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

    objects = BlueprintQuerySet.as_manager()

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
        ABANDONED = "abandoned", _("中断して破棄")  # drills only: no result, nothing counted

    # Allowed moves of `status`; SCORED → SCORED is a regrade rewriting the result.
    TRANSITIONS = {
        Status.OPEN: {Status.SUBMITTED, Status.ABANDONED},
        Status.ABANDONED: set(),
        Status.SUBMITTED: {Status.SCORED},
        Status.SCORED: {Status.SCORED},
    }

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
    # Estimates made when it was scored (common/irt.py; docs/results.md): ability on the exam's calibrated scale
    # from the questions seen here for the first time, with its standard error and the scaled score; the chance
    # of passing the real exam with its 80% interval (full forms only); and the raw score on first-seen questions.
    ability = models.FloatField(null=True, blank=True)
    ability_se = models.FloatField(null=True, blank=True)
    ability_provisional = models.BooleanField(null=True)  # most questions not yet calibrated: author difficulty
    scaled_score = models.PositiveSmallIntegerField(null=True, blank=True)
    pass_probability = models.FloatField(null=True, blank=True)
    pass_low = models.FloatField(null=True, blank=True)
    pass_high = models.FloatField(null=True, blank=True)
    pass_source = models.CharField(max_length=10, blank=True)  # "results" or "assumed" (exams.PassStandard)
    # When the chance of passing was computed: the live check (予測の検証) counts only predictions made before the
    # real exam, so one recomputed by a later regrade does not count.
    predicted_at = models.DateTimeField(null=True, blank=True)
    first_seen_correct = models.PositiveIntegerField(null=True, blank=True)
    first_seen_total = models.PositiveIntegerField(null=True, blank=True)
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


# Attempts that count as taken: submitted (being scored) or scored. Not open ones, nor abandoned drills.
FINISHED = (Attempt.Status.SUBMITTED, Attempt.Status.SCORED)


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
    # Set at scoring: whether the person met this question in an earlier attempt. First responses calibrate
    # items and estimate ability; answers to questions seen before measure memory and are shown apart.
    seen_before = models.BooleanField(null=True)

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


class FeedCursor(models.Model):
    """How far one reader of the scored-attempt feed (exams.feed) has read, ordered by (scored_at, id)."""

    name = models.CharField(max_length=30, unique=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    attempt_id = models.BigIntegerField(default=0)
    # The newest key correction (regrade) already reflected: a newer one rescored past attempts, so the
    # aggregates are rebuilt from scratch once.
    correction_id = models.BigIntegerField(default=0)

    class Meta:
        db_table = "analytics_statswatermark"  # created by analytics, whose refresh was the first reader

    def __str__(self) -> str:
        return f"{self.name}: {self.scored_at} #{self.attempt_id}"


class KeyHold(models.Model):
    """Keys of a blueprint held for an organization's members: attempts of it they started on or after
    `opens_at` show score and area results, but keys, explanations and marks only from `releases_at`
    (exams.selectors.withheld_keys). HR's assignments create them (hr.services)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="+")
    opens_at = models.DateTimeField()
    releases_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["blueprint", "releases_at"])]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.blueprint_id} until {self.releases_at}"


class ItemParameters(models.Model):
    """A question's calibrated item parameters (common/irt.py), refitted nightly from first responses by
    analytics.calibration; dropped when its key is corrected. Until a question has enough first responses its
    difficulty comes from the author (the prior) and the estimate is provisional."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="irt")
    discrimination = models.FloatField(_("識別力 a"))
    difficulty = models.FloatField(_("困難度 b"))
    guessing = models.FloatField(_("当て推量 c"))
    responses = models.PositiveIntegerField(_("初回解答数"), default=0)
    provisional = models.BooleanField(_("暫定"), default=True)
    fitted_at = models.DateTimeField(_("推定日時"))

    class Meta:
        verbose_name = _("項目パラメータ")
        verbose_name_plural = _("項目パラメータ")

    def __str__(self) -> str:
        return f"{self.question_id}: a={self.discrimination:.2f} b={self.difficulty:.2f}"


class PassStandard(models.Model):
    """Where the real exam's pass line sits on the exam's ability scale (common/irt.Standard), fitted to members'
    recorded real results (analytics.calibration) or, before there are enough, assumed from JDLA's published
    pass rate. Scoring reads it to give each full mock a chance of passing."""

    class Source(models.TextChoices):
        RESULTS = "results", _("本番の結果から推定")
        ASSUMED = "assumed", _("JDLA公表の合格率からの仮定")

    exam = models.OneToOneField(Exam, on_delete=models.CASCADE, related_name="pass_standard")
    cut = models.FloatField()
    tau = models.FloatField()
    covariance = models.JSONField()  # [[var cut, cov], [cov, var log tau]]
    source = models.CharField(max_length=10, choices=Source.choices)
    results = models.PositiveIntegerField(default=0)
    fitted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("合格基準")
        verbose_name_plural = _("合格基準")

    def __str__(self) -> str:
        return f"{self.exam_id}: cut {self.cut:.2f} ({self.source})"


class Exposure(models.Model):
    """A person met a question outside a mock or drill (study mode, where the key is shown at once): such a
    question is "seen before" for the mocks' draw (unseen first) and for first-seen scoring. Attempts record
    their own questions in AttemptItem."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    first_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="exposure_once")]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.question_id} from {self.first_at:%Y-%m-%d}"


class QuestionNote(models.Model):
    """A person's private bookmark and note on a question (マイノート), shown in study mode, in results and on
    the notes page. A note is written only once the question's key may be shown to them (exams.services)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_notes")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    bookmarked = models.BooleanField(_("ブックマーク"), default=False)
    text = models.TextField(_("メモ"), blank=True, max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="question_note_once")]
        indexes = [models.Index(fields=["user", "-updated_at"])]
        verbose_name = _("マイノート")
        verbose_name_plural = _("マイノート")

    def __str__(self) -> str:
        return f"{self.user_id}/{self.question_id}"
