"""The study side (docs/study.md): untimed sessions with the explanation right after each answer, a spaced-
repetition card per question a person has answered (FSRS), the log of every study answer, and the real exam a
person is aiming at."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hr.models import ExamSession
from questions.models import Exam, Question, QuestionVersion


class StudyCard(models.Model):
    """One question in one person's memory, scheduled by FSRS (study.scheduling): when to see it again."""

    class State(models.IntegerChoices):  # fsrs.State
        LEARNING = 1, _("学習中")
        REVIEW = 2, _("復習")
        RELEARNING = 3, _("再学習")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_cards")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True)
    stability = models.FloatField(null=True)
    difficulty = models.FloatField(null=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True)
    reviews = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)  # answered wrong after having been right
    last_correct = models.BooleanField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="study_card_once")]
        indexes = [models.Index(fields=["user", "due"])]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.question_id} due {self.due:%Y-%m-%d %H:%M}"


class StudySession(models.Model):
    """A run of questions in study mode, saved as it goes so leaving and coming back resumes: the questions
    chosen at the start, in order, how far the person has got, and whether the current one is answered."""

    class Kind(models.TextChoices):
        STUDY = "study", _("学習モード")
        REVIEW = "review", _("今日の復習")
        TODAY = "today", _("今日の10問")

    class Source(models.TextChoices):
        ALL = "all", _("すべての問題")
        UNSEEN = "unseen", _("まだ解いていない問題")
        WRONG = "wrong", _("前回まちがえた問題")
        BOOKMARKED = "bookmarked", _("ブックマークした問題")
        DUE = "due", _("復習の時期が来た問題")
        MIXED = "mixed", _("今日の10問")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_sessions")
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STUDY)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.ALL)
    area_codes = models.JSONField(default=list, blank=True)
    question_ids = models.JSONField(default=list)  # in the order asked
    position = models.PositiveIntegerField(default=0)  # index into question_ids of the current question
    answered = models.BooleanField(default=False)  # the current question has been answered: show its 解説
    shown_at = models.DateTimeField(null=True)  # when the current question was shown (its answer's time)
    day = models.DateField(null=True)  # today's set: the day it is for (one a day)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "finished_at", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "exam", "day"], name="one_todays_set_a_day", condition=models.Q(kind="today")
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.position}/{len(self.question_ids)}"

    @property
    def total(self) -> int:
        return len(self.question_ids)

    @property
    def current_question_id(self) -> int | None:
        return self.question_ids[self.position] if self.position < self.total else None


class StudyAnswer(models.Model):
    """Every answer given in study mode: what was chosen, whether it was right and how long it took. The study
    log, "wrong last time" and the cards read these."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_answers")
    session = models.ForeignKey(StudySession, on_delete=models.SET_NULL, null=True, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=20)  # the question's area then (for accuracy by area over time)
    chosen_ids = models.JSONField(default=list)  # VersionChoice ids
    correct = models.BooleanField()
    seconds = models.PositiveIntegerField()
    answered_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["user", "answered_at"]),
            models.Index(fields=["user", "question", "-answered_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.question_id} {'right' if self.correct else 'wrong'}"


class ExamPlan(models.Model):
    """The real exam session a person is aiming at: home shows the countdown and a plan toward it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_plan")
    session = models.ForeignKey(ExamSession, on_delete=models.PROTECT, related_name="+", verbose_name=_("受験する回"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("受験計画")
        verbose_name_plural = _("受験計画")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.session}"
