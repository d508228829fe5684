"""Aggregates that analytics keeps current from scored attempts (incrementally, by a beat task): cohort
norms per blueprint and per area, and item statistics per question version. Read by reports and admin."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from exams.models import Blueprint
from questions.models import QuestionVersion, SyllabusArea


class BlueprintNorm(models.Model):
    """Score distribution of all scored attempts of a blueprint: running mean/variance (Welford) and
    the count of attempts per number of correct answers, from which percentile and rank are exact."""

    blueprint = models.OneToOneField(Blueprint, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=0)
    mean = models.FloatField(default=0.0)  # of the score, 0..1
    m2 = models.FloatField(default=0.0)
    correct_counts = models.JSONField(default=dict)  # {"143": 12, …}: attempts per correct count
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("出題形式別の得点分布")
        verbose_name_plural = _("出題形式別の得点分布")

    def __str__(self) -> str:
        return f"{self.blueprint}: n={self.count}"


class AreaNorm(models.Model):
    """Cohort correct / total per syllabus area (leaf and top level) for a blueprint."""

    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(SyllabusArea, on_delete=models.CASCADE, related_name="+")
    correct = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("分野別の正答率（全受験者）")
        verbose_name_plural = _("分野別の正答率（全受験者）")
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
