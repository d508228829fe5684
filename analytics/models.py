"""Aggregates that analytics keeps current from scored attempts (incrementally, by a beat task): cohort
norms per blueprint and per area, and item statistics per question version. Read by reports and admin."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, Organization
from exams.models import Blueprint
from questions.models import Exam, QuestionVersion, SyllabusArea


class StatsWatermark(models.Model):
    """How far the refresh has read scored attempts, ordered by (scored_at, id)."""

    name = models.CharField(max_length=30, unique=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    attempt_id = models.BigIntegerField(default=0)
    # The newest key correction (regrade) already reflected: a newer one rescored past attempts, so the
    # aggregates are rebuilt from scratch once.
    correction_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.scored_at} #{self.attempt_id}"


class BlueprintNorm(models.Model):
    """Score distribution of all scored attempts of a blueprint: running mean/variance (Welford) and
    the count of attempts per number of correct answers, from which percentile and rank are exact."""

    blueprint = models.OneToOneField(Blueprint, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=0)
    mean = models.FloatField(default=0.0)  # of the score, 0..1
    m2 = models.FloatField(default=0.0)
    correct_counts = models.JSONField(default=dict)  # {"143": 12, …}: attempts per correct count
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.blueprint}: n={self.count}"


class AreaNorm(models.Model):
    """Cohort correct / total per syllabus area (leaf and top level) for a blueprint."""

    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(SyllabusArea, on_delete=models.CASCADE, related_name="+")
    correct = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blueprint", "area"], name="area_norm_unique")]

    def __str__(self) -> str:
        return f"{self.blueprint_id}/{self.area_id}: {self.correct}/{self.total}"

    @property
    def rate(self) -> float | None:
        return self.correct / self.total if self.total else None


class ItemStat(models.Model):
    """Sufficient statistics of one published version's responses (full forms only, not drills), and the
    figures and flags derived from them."""

    version = models.OneToOneField(QuestionVersion, on_delete=models.CASCADE, related_name="stat")
    responses = models.PositiveIntegerField(_("解答数"), default=0)
    correct = models.PositiveIntegerField(default=0)
    sum_total = models.FloatField(default=0.0)
    sum_total_sq = models.FloatField(default=0.0)
    sum_total_correct = models.FloatField(default=0.0)
    choice_picks = models.JSONField(default=dict)  # {"<VersionChoice id>": times picked}
    facility = models.FloatField(_("正答率"), null=True, blank=True)
    discrimination = models.FloatField(_("識別力"), null=True, blank=True)
    flags = models.JSONField(_("要確認"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("問題統計")
        verbose_name_plural = _("問題統計")

    def __str__(self) -> str:
        return f"{self.version}: n={self.responses}"

    def share_of(self, choice_id: int) -> float | None:
        return self.choice_picks.get(str(choice_id), 0) / self.responses if self.responses else None


# --- Organization aggregates for HR (kept by services.org_stats_refresh from scored full-form attempts) -----
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
        indexes = [models.Index(fields=["organization", "month"])]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.department_id}/{self.area_id} {self.month}: {self.correct}/{self.total}"


class MemberExamStat(models.Model):
    """One person's full-form mock attempts of one exam: how many, best, and the latest (for readiness)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_stats")
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    passed_attempts = models.PositiveIntegerField(default=0)
    best_score = models.FloatField()
    latest_score = models.FloatField()
    latest_passed = models.BooleanField()
    latest_pass_ratio = models.FloatField()
    latest_at = models.DateTimeField()  # when the latest attempt started

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "exam"], name="member_exam_stat_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.exam_id}: {self.attempts} attempts, latest {self.latest_score:.2f}"

    @property
    def readiness(self) -> str:
        return readiness(self.latest_score, self.latest_pass_ratio)


# How close a latest score is to its pass line, in four words HR can act on.
READY, CLOSE, NOT_YET, NOT_TAKEN = "ready", "close", "not_yet", "not_taken"
CLOSE_MARGIN = 0.10  # within 10 points of the line


def readiness(latest_score: float | None, pass_ratio: float | None) -> str:
    if latest_score is None:
        return NOT_TAKEN
    if latest_score >= pass_ratio:
        return READY
    return CLOSE if latest_score >= pass_ratio - CLOSE_MARGIN else NOT_YET
