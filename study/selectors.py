"""Reads of the study side: what a study page shows, what is due, the log and streak, the plan, notes, search and
the glossary. Each runs a fixed number of queries, whatever the number of cards, notes and answers."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from analytics.models import ItemStat
from common.dates import start_of_day
from exams.models import FINISHED, Attempt, AttemptAreaResult, AttemptItem, Blueprint, Exposure, QuestionNote
from exams.selectors import withheld_keys
from questions.models import Exam, Question, SyllabusArea, VersionChoice
from questions.selectors import published_questions

from .models import ExamPlan, StudyAnswer, StudyCard, StudySession

WEAK_EVIDENCE = 3  # answers an area needs before it counts as weak
LOG_DAYS = 28
LOG_WEEKS = 8
LAST_MOCK_DAYS = 7  # the full mock to take in the last week before the real exam


# --- The questions study can ask (study.services draws sessions from them) ---------------------------------------


def in_areas(area_codes: list[str], field: str = "area__code") -> Q:
    """In any of these syllabus areas or below them (`field`: the path to the area's code)."""
    q = Q()
    for code in area_codes:
        q |= Q(**{field: code}) | Q(**{f"{field}__startswith": f"{code}."})
    return q


def study_pool(*, user, exam: Exam, area_codes: list[str] | None = None):
    """Published questions of the exam (in the areas) whose keys the person may see now: study shows the key
    at once, so nothing an open mock or a held assignment holds."""
    pool = published_questions().filter(exam=exam).exclude(pk__in=withheld_keys(user_id=user.pk))
    return pool.filter(in_areas(area_codes)) if area_codes else pool


def met_subqueries(*, user):
    """Question ids the person has met, as two subqueries: in a finished attempt, or in study mode."""
    attempts = AttemptItem.objects.filter(attempt__user=user, attempt__status__in=FINISHED).values(
        "version__question_id"
    )
    return attempts, Exposure.objects.filter(user=user).values("question_id")


# --- One question in a session -------------------------------------------------------------------------------


@dataclass
class StudyChoice:
    number: int
    html: str
    is_correct: bool | None  # None until answered
    chosen: bool = False
    share: float | None = None  # of examinees who picked it


@dataclass
class StudyQuestion:
    question_id: int
    kind: str
    area_name: str
    stimulus_html: str
    stem_html: str
    explanation_html: str  # empty until answered
    choices: list[StudyChoice]
    answered: bool
    correct: bool | None = None
    seconds: int | None = None
    facility: float | None = None  # share of examinees fully right
    note: QuestionNote | None = None


def session_question(*, session: StudySession) -> StudyQuestion | None:
    """The session's current question: before an answer without any key; after it with the key, the explanation,
    the person's choice and how many examinees chose each option. Five queries."""
    qid = session.current_question_id
    if qid is None:
        return None
    question = Question.objects.select_related("published_version", "area").get(pk=qid)
    version = question.published_version
    choices = list(VersionChoice.objects.filter(version=version).order_by("order"))
    answer = (
        StudyAnswer.objects.filter(session=session, question_id=qid).order_by("-answered_at").first()
        if session.answered
        else None
    )
    stat = ItemStat.objects.filter(version=version).first() if answer else None
    note = QuestionNote.objects.filter(user_id=session.user_id, question_id=qid).first()
    shown = answer is not None
    return StudyQuestion(
        question_id=qid,
        kind=version.kind,
        area_name=question.area.name,
        stimulus_html=version.stimulus_html,
        stem_html=version.stem_html,
        explanation_html=version.explanation_html if shown else "",
        choices=[
            StudyChoice(
                n + 1,
                c.text_html,
                c.is_correct if shown else None,
                shown and c.pk in answer.chosen_ids,
                stat.share_of(c.pk) if stat and stat.responses else None,
            )
            for n, c in enumerate(choices)
        ],
        answered=shown,
        correct=answer.correct if shown else None,
        seconds=answer.seconds if shown else None,
        facility=stat.facility if stat and stat.responses else None,
        note=note,
    )


def open_sessions(*, user, limit: int = 5) -> list[StudySession]:
    """Sessions left unfinished (today's set only for today), newest first: to resume."""
    today = timezone.localdate()
    return list(
        StudySession.objects.filter(user=user, finished_at__isnull=True)
        .exclude(kind=StudySession.Kind.TODAY, day__lt=today)
        .select_related("exam")
        .order_by("-created_at")[:limit]
    )


# --- Due reviews, weak areas ---------------------------------------------------------------------------------


def due_by_exam(*, user, now=None) -> list[tuple[Exam, int]]:
    """How many cards are due now, per exam (one query)."""
    now = now or timezone.now()
    counts = dict(
        StudyCard.objects.filter(user=user, due__lte=now)
        .values_list("question__exam_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(exam, counts[exam.pk]) for exam in Exam.objects.filter(pk__in=counts).order_by("order")]


def weakest_area_codes(*, user, exam: Exam, limit: int = 3) -> list[str]:
    """The leaf areas with the lowest correct rate over the person's mocks, drills and study (each with at least
    WEAK_EVIDENCE answers). Two queries."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for code, correct, total in AttemptAreaResult.objects.filter(
        attempt__user=user, attempt__blueprint__exam=exam, area__parent__isnull=False
    ).values_list("area__code", "correct", "total"):
        totals[code][0] += correct
        totals[code][1] += total
    for code, correct, total in (
        StudyAnswer.objects.filter(user=user, question__exam=exam)
        .values("area_code")
        .annotate(right=Count("pk", filter=Q(correct=True)), n=Count("pk"))
        .values_list("area_code", "right", "n")
        .order_by()
    ):
        totals[code][0] += correct
        totals[code][1] += total
    rated = [(c / t, code) for code, (c, t) in totals.items() if t >= WEAK_EVIDENCE and c < t]
    return [code for _rate, code in sorted(rated)[:limit]]


# --- The study log and the streak ----------------------------------------------------------------------------


@dataclass
class StudyDay:
    day: date
    questions: int = 0
    right: int = 0
    seconds: int = 0

    @property
    def minutes(self) -> int:
        return round(self.seconds / 60)

    @property
    def rate(self) -> float | None:
        return self.right / self.questions if self.questions else None


@dataclass
class StudyLog:
    days: list[StudyDay]
    weeks: list[date]  # Mondays, oldest first
    areas: list[tuple[str, str, list[float | None]]] = field(default_factory=list)  # code, name, rate per week
    streak: int = 0
    studied_today: bool = False
    total_days: int = 0


def study_log(*, user, today: date | None = None) -> StudyLog:
    """Questions, minutes and accuracy per day over LOG_DAYS, accuracy by top-level area per week over LOG_WEEKS,
    and the streak: consecutive days with at least one question answered (study, mock or drill), ending today or
    yesterday — a day not studied yet does not break it. Four queries."""
    today = today or timezone.localdate()
    since = today - timedelta(days=max(LOG_DAYS, LOG_WEEKS * 7) + 7)
    start = start_of_day(since)
    days = {today - timedelta(days=k): StudyDay(today - timedelta(days=k)) for k in range(LOG_DAYS)}
    answers = StudyAnswer.objects.filter(user=user, answered_at__gte=start)
    for day, n, right, seconds in (
        answers.annotate(day=TruncDate("answered_at"))
        .values("day")
        .annotate(n=Count("pk"), right=Count("pk", filter=Q(correct=True)), seconds_sum=Sum("seconds"))
        .values_list("day", "n", "right", "seconds_sum")
        .order_by()
    ):
        if day in days:
            days[day].questions, days[day].right, days[day].seconds = n, right, seconds or 0
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=k) for k in reversed(range(LOG_WEEKS))]
    per_week: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    for day, code, n, right in (
        answers.annotate(day=TruncDate("answered_at"))
        .values("day", "area_code")
        .annotate(n=Count("pk"), right=Count("pk", filter=Q(correct=True)))
        .values_list("day", "area_code", "n", "right")
        .order_by()
    ):
        week = day - timedelta(days=day.weekday())
        row = per_week[(code.split(".")[0], week)]
        row[0], row[1] = row[0] + n, row[1] + right
    tops = sorted({code for code, _w in per_week}, key=_area_order)
    names = dict(SyllabusArea.objects.filter(code__in=tops).values_list("code", "name"))
    areas = [(code, names.get(code, code), [_rate(per_week.get((code, w))) for w in weeks]) for code in tops]
    studied = set(
        answers.annotate(day=TruncDate("answered_at")).values_list("day", flat=True).distinct().order_by()
    ) | set(
        Attempt.objects.filter(user=user, status__in=FINISHED, submitted_at__gte=start)
        .annotate(day=TruncDate("submitted_at"))
        .values_list("day", flat=True)
        .distinct()
        .order_by()
    )
    streak, day = 0, today if today in studied else today - timedelta(days=1)
    while day in studied:
        streak, day = streak + 1, day - timedelta(days=1)
    return StudyLog(
        days=sorted(days.values(), key=lambda d: d.day, reverse=True),
        weeks=weeks,
        areas=areas,
        streak=streak,
        studied_today=today in studied,
        total_days=len(studied),
    )


def _rate(pair) -> float | None:
    return pair[1] / pair[0] if pair and pair[0] else None


def _area_order(code: str) -> tuple:
    letters = code.rstrip("0123456789")
    return (letters, int(code[len(letters) :] or 0))


# --- The exam plan -------------------------------------------------------------------------------------------


@dataclass
class Plan:
    plan: ExamPlan
    days_left: int
    unseen: int
    due: int
    per_day: int
    mock_on: date | None
    mock: Blueprint | None


def plan_for(*, user, now=None) -> Plan | None:
    """The countdown to the chosen session and a plan: questions a day to meet every unseen question of the bank
    before the last week (kept for a full mock), plus the reviews due. Four queries."""
    plan = ExamPlan.objects.filter(user=user).select_related("session__exam").first()
    if plan is None:
        return None
    now = now or timezone.now()
    today = timezone.localdate(now)
    exam = plan.session.exam
    days_left = (plan.session.held_on - today).days
    met, studied = met_subqueries(user=user)
    unseen = study_pool(user=user, exam=exam).exclude(pk__in=met).exclude(pk__in=studied).count()
    due = StudyCard.objects.filter(user=user, question__exam=exam, due__lte=now).count()
    study_days = max(days_left - LAST_MOCK_DAYS, 1)
    mock = Blueprint.objects.filter(exam=exam, is_drill=False, is_active=True).order_by("pk").first()
    return Plan(
        plan=plan,
        days_left=days_left,
        unseen=unseen,
        due=due,
        per_day=math.ceil(unseen / study_days) + math.ceil(due / max(days_left, 1)) if days_left >= 0 else 0,
        mock_on=plan.session.held_on - timedelta(days=LAST_MOCK_DAYS) if days_left > LAST_MOCK_DAYS else None,
        mock=mock,
    )


# --- Notes, search, glossary ---------------------------------------------------------------------------------


def notes(*, user, exam_code: str = "", area_code: str = "", bookmarked_only: bool = False):
    rows = QuestionNote.objects.filter(user=user).select_related(
        "question__exam", "question__area", "question__published_version"
    )
    if exam_code:
        rows = rows.filter(question__exam__code=exam_code)
    if area_code:
        rows = rows.filter(in_areas([area_code], field="question__area__code"))
    if bookmarked_only:
        rows = rows.filter(bookmarked=True)
    return rows.order_by("-updated_at", "-pk")


def visible_questions(*, user):
    """Questions whose key the person may see now: met in a finished attempt or in study, and not withheld."""
    met, studied = met_subqueries(user=user)
    return (
        published_questions().filter(Q(pk__in=met) | Q(pk__in=studied)).exclude(pk__in=withheld_keys(user_id=user.pk))
    )


SEARCH_MIN, SEARCH_MAX = 1, 100


def search(*, user, query: str, limit: int = 50):
    """The person's visible questions whose stem, explanation or keywords contain the words (each word must
    appear; case-insensitive substring, which on PostgreSQL a trigram index serves). Two queries."""
    words = [w for w in query.replace("\u3000", " ").split() if w][:5]
    if not words:
        return []
    rows = visible_questions(user=user)
    for word in words:
        rows = rows.filter(
            Q(published_version__stem_html__icontains=word)
            | Q(published_version__explanation_html__icontains=word)
            | Q(keywords__icontains=word)
        )
    return list(
        rows.select_related("exam", "area", "published_version").order_by("exam__order", "area__order", "pk")[:limit]
    )


@dataclass
class Term:
    term: str
    area_code: str
    area_name: str


def glossary(*, exam: Exam) -> list[tuple[SyllabusArea, list[str]]]:
    """The syllabus keywords of the exam, by top-level area (one query)."""
    areas = list(SyllabusArea.objects.filter(exam=exam, in_syllabus=True).order_by("order"))
    tops = {a.pk: (a, []) for a in areas if a.parent_id is None}
    for area in areas:
        top = tops.get(area.parent_id or area.pk)
        if top:
            for term in area.keywords or []:
                if term not in top[1]:
                    top[1].append(term)
    return [(area, sorted(terms)) for area, terms in tops.values() if terms]


def term_questions(*, user, exam: Exam, term: str):
    """The exam's published questions that use the term (in their keywords, stem or explanation): those the
    person may see, and how many more they have not met yet. Three queries."""
    uses = (
        published_questions()
        .filter(exam=exam)
        .filter(
            Q(keywords__icontains=term)
            | Q(published_version__stem_html__icontains=term)
            | Q(published_version__explanation_html__icontains=term)
        )
    )
    visible = list(
        uses.filter(pk__in=visible_questions(user=user).values("pk"))
        .select_related("area", "published_version")
        .order_by("area__order", "pk")[:100]
    )
    return visible, uses.exclude(pk__in=[q.pk for q in visible]).count()
