"""The syllabus-tagged question bank.

A Question is a bank entry whose fields (stem, choices, explanation) are the authors' working copy.
Publishing snapshots the working copy into an immutable QuestionVersion with its VersionChoices,
rendered to sanitized HTML once. Attempts point at a version, so nothing an author does later
(editing, republishing, retiring) can change a past result.
"""

import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Exam(models.Model):
    G_KENTEI, E_SHIKAKU, GENAI_TEST = "g_kentei", "e_shikaku", "genai_test"

    code = models.CharField(_("コード"), max_length=20, unique=True)
    name = models.CharField(_("試験名"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("試験")
        verbose_name_plural = _("試験")

    def __str__(self) -> str:
        return self.name

    @property
    def has_frameworks(self) -> bool:
        return self.code == self.E_SHIKAKU


class SyllabusArea(models.Model):
    """A node of an exam's syllabus tree. Questions are tagged to leaves."""

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="areas")
    code = models.CharField(_("コード"), max_length=20, unique=True)
    name = models.CharField(_("分野名"), max_length=200)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    order = models.PositiveIntegerField(default=0)
    keywords = models.JSONField(_("キーワード"), default=list, blank=True)
    optional = models.BooleanField(_("選択分野"), default=False)
    # E資格 reports four areas (応用数学 / 機械学習 / 深層学習 / 開発環境); top-level areas map onto them.
    report_area = models.CharField(_("公式レポート分野"), max_length=50, blank=True)
    is_leaf = models.BooleanField(default=True)
    # An area dropped by a syllabus revision is kept (questions still point at it), not deleted.
    in_syllabus = models.BooleanField(_("現行シラバス"), default=True)

    class Meta:
        ordering = ["exam__order", "order"]
        verbose_name = _("シラバス分野")
        verbose_name_plural = _("シラバス分野")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def top_code(self) -> str:
        return self.code.split(".")[0]


class Stimulus(models.Model):
    """A passage or code listing shared by a linked set of questions, which are drawn together."""

    external_id = models.CharField(_("外部ID"), max_length=64, unique=True)
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="stimuli")
    title = models.CharField(_("タイトル"), max_length=200, blank=True)
    body = models.TextField(_("本文（Markdown）"))

    class Meta:
        verbose_name = _("共通問題文")
        verbose_name_plural = _("共通問題文")

    def __str__(self) -> str:
        return self.title or self.external_id


class Question(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        IN_REVIEW = "in_review", _("レビュー中")
        PUBLISHED = "published", _("公開中")
        RETIRED = "retired", _("廃止")

    class Kind(models.TextChoices):
        SINGLE = "single", _("単一選択")
        MULTIPLE = "multiple", _("複数選択（すべて選べ）")

    class Framework(models.TextChoices):
        COMMON = "common", _("共通")
        PYTORCH = "pytorch", "PyTorch"
        TENSORFLOW = "tensorflow", "TensorFlow"

    external_id = models.CharField(_("外部ID"), max_length=64, unique=True)
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="questions", verbose_name=_("試験"))
    area = models.ForeignKey(SyllabusArea, on_delete=models.PROTECT, related_name="questions", verbose_name=_("分野"))
    difficulty = models.PositiveSmallIntegerField(_("難易度"), default=3)
    keywords = models.JSONField(_("キーワード"), default=list, blank=True)
    framework = models.CharField(
        _("フレームワーク"), max_length=12, choices=Framework.choices, default=Framework.COMMON
    )
    stimulus = models.ForeignKey(
        Stimulus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("共通問題文"),
    )
    status = models.CharField(_("状態"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    # The working copy authors edit; published as the next version.
    kind = models.CharField(_("形式"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    stem = models.TextField(_("問題文（Markdown）"))
    explanation = models.TextField(_("解説（Markdown）"), blank=True)
    published_version = models.ForeignKey(
        "QuestionVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("公開中の版"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("問題")
        verbose_name_plural = _("問題")
        permissions = [("publish_question", _("問題を公開・廃止できる"))]
        indexes = [
            models.Index(fields=["exam", "status"]),
            models.Index(fields=["area", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(difficulty__gte=1, difficulty__lte=5), name="difficulty_1_to_5"),
        ]

    def __str__(self) -> str:
        return self.external_id

    def clean(self) -> None:
        errors = {}
        if self.area_id and self.exam_id and self.area.exam_id != self.exam_id:
            errors["area"] = _("分野「%(area)s」は%(area_exam)sの分野です。%(exam)sの分野を選んでください。") % {
                "area": self.area,
                "area_exam": self.area.exam.name,
                "exam": self.exam.name,
            }
        elif self.area_id and not self.area.is_leaf:
            errors["area"] = _("分野は末端の分野（子を持たない分野）を選んでください。")
        if self.exam_id and self.framework != self.Framework.COMMON and not self.exam.has_frameworks:
            errors["framework"] = _("フレームワークはE資格の問題にだけ指定できます。")
        if not 1 <= (self.difficulty or 0) <= 5:
            errors["difficulty"] = _("難易度は1〜5で指定してください。")
        if errors:
            raise ValidationError(errors)

    def content_hash(self, choices=None) -> str:
        choices = self.choices.all() if choices is None else choices
        return content_hash(
            kind=self.kind,
            stem=self.stem,
            explanation=self.explanation,
            choices=[(c.text, c.is_correct) for c in sorted(choices, key=lambda c: c.order)],
            stimulus=self.stimulus.body if self.stimulus_id else "",
        )


class Choice(models.Model):
    """A choice of the working copy."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveSmallIntegerField(_("順序"), default=0)
    text = models.TextField(_("選択肢（Markdown）"))
    is_correct = models.BooleanField(_("正解"), default=False)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("選択肢")
        verbose_name_plural = _("選択肢")

    def __str__(self) -> str:
        return self.text[:40]


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError("published question versions are immutable")

    def delete(self):
        raise ValidationError("published question versions are kept forever")


class QuestionVersion(models.Model):
    """An immutable, published snapshot of a question: what a candidate saw and was scored against."""

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Question.Kind.choices)
    stem = models.TextField()
    explanation = models.TextField()
    stimulus_body = models.TextField(blank=True)
    # Rendered and sanitized once, at publish time, never while a candidate waits.
    stem_html = models.TextField()
    explanation_html = models.TextField()
    stimulus_html = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["question", "number"]
        verbose_name = _("問題の版")
        verbose_name_plural = _("問題の版")
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="version_number_unique")]

    def __str__(self) -> str:
        return f"{self.question_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("published question versions are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("published question versions are kept forever")


class VersionChoice(models.Model):
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="choices")
    order = models.PositiveSmallIntegerField()
    text = models.TextField()
    text_html = models.TextField()
    is_correct = models.BooleanField()

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["version", "order"]

    def __str__(self) -> str:
        return self.text[:40]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("published question versions are immutable")
        super().save(*args, **kwargs)


def content_hash(*, kind: str, stem: str, explanation: str, choices: list[tuple[str, bool]], stimulus: str) -> str:
    """Identifies content, so publishing or importing unchanged content creates no new version."""
    payload = json.dumps(
        [kind, stem.strip(), explanation.strip(), [[t.strip(), bool(c)] for t, c in choices], stimulus.strip()],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class QuestionEvent(models.Model):
    """The question's history: who sent it for review, commented on it, sent it back to its author, published,
    retired or re-keyed it, when, and through which path. Every change of what candidates are given, and every
    word between reviewer and author, is recorded here by questions.services."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("レビューに提出")
        COMMENTED = "commented", _("コメント")
        SENT_BACK = "sent_back", _("差し戻し")
        PUBLISHED = "published", _("公開")
        RETIRED = "retired", _("廃止")
        KEY_CORRECTED = "key_corrected", _("正解の訂正")

    class Via(models.TextChoices):
        ADMIN_FORM = "admin_form", _("管理画面の編集")
        ADMIN_ACTION = "admin_action", _("管理画面の一括操作")
        ADMIN_IMPORT = "admin_import", _("管理画面のインポート")
        ADMIN_REVIEW = "admin_review", _("管理画面のレビュー欄")
        COMMAND = "command", _("運用コマンド")
        REGRADE = "regrade", _("正解の訂正（再採点）")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="events")
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("操作"), max_length=20, choices=Kind.choices)
    via = models.CharField(_("経路"), max_length=20, choices=Via.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("実行者"),
    )
    at = models.DateTimeField(_("日時"), auto_now_add=True)
    note = models.TextField(_("コメント・メモ"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("問題の履歴")
        verbose_name_plural = _("問題の履歴")

    def __str__(self) -> str:
        return f"{self.question_id} {self.kind} via {self.via}"
