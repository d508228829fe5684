"""Writes of the study side: starting and advancing study sessions, recording an answer (with its card review),
today's set, folding mock and drill answers into cards, and the exam plan."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exams import feed
from exams.models import AttemptItem, Blueprint, QuestionNote
from exams.scoring import is_right
from exams.selectors import withheld_keys
from exams.services import ExamError, NotAllowed, exposures_record
from hr.models import ExamSession
from questions.models import Exam, Question, VersionChoice

from . import scheduling
from .models import ExamPlan, StudyAnswer, StudyCard, StudySession
from .selectors import met_subqueries, study_pool, weakest_area_codes

MAX_COUNT = 100
TODAY_SIZE = 10
TODAY_DUE, TODAY_WEAK = 5, 3  # of today's 10: due reviews first, then the weakest areas, then unseen questions
REVIEW_MAX = 50
DEFAULT_PACE = 41  # seconds per question when an exam has no drill to say (G検定's pace)
MAX_SECONDS = 30 * 60  # an answer after this long was a break, not thinking


class StudyError(ExamError):
    pass


# --- The questions a session can ask -------------------------------------------------------------------------


def last_results(*, user, question_ids) -> dict[int, bool]:
    """The person's latest result on each question, from mocks, drills and study alike (two queries)."""
    latest: dict[int, tuple] = {}
    for qid, correct, at in AttemptItem.objects.filter(
        attempt__user=user, attempt__status="scored", version__question_id__in=question_ids
    ).values_list("version__question_id", "is_correct", "attempt__scored_at"):
        if qid not in latest or at > latest[qid][1]:
            latest[qid] = (bool(correct), at)
    for qid, correct, at in StudyAnswer.objects.filter(user=user, question_id__in=question_ids).values_list(
        "question_id", "correct", "answered_at"
    ):
        if qid not in latest or at > latest[qid][1]:
            latest[qid] = (correct, at)
    return {qid: correct for qid, (correct, _at) in latest.items()}


def _choose(user, exam, source: str, area_codes: list[str], count: int, now) -> list[int]:
    """Up to `count` question ids for a session, chosen in the database (a person may have 10,000 cards)."""
    pool = study_pool(user=user, exam=exam, area_codes=area_codes)
    if source == StudySession.Source.DUE:  # the longest overdue first
        due = StudyCard.objects.filter(user=user, due__lte=now, question__in=pool).order_by("due")
        return list(due.values_list("question_id", flat=True)[:count])
    if source == StudySession.Source.BOOKMARKED:
        pool = pool.filter(pk__in=QuestionNote.objects.filter(user=user, bookmarked=True).values("question_id"))
    elif source == StudySession.Source.UNSEEN:
        in_attempts, studied = met_subqueries(user=user)
        pool = pool.exclude(pk__in=in_attempts).exclude(pk__in=studied)
    elif source == StudySession.Source.WRONG:
        results = last_results(user=user, question_ids=pool.values("pk"))
        pool = pool.filter(pk__in=[qid for qid, right in results.items() if right is False])
    return list(pool.order_by("?").values_list("pk", flat=True)[:count])


@transaction.atomic
def session_start(
    *, user, exam: Exam, source: str = StudySession.Source.ALL, area_codes=(), count: int = 10, now=None
) -> StudySession:
    """A study session of up to `count` questions from the source and areas chosen."""
    now = now or timezone.now()
    if source not in StudySession.Source.values or source == StudySession.Source.MIXED:
        raise StudyError(_("出題元を選んでください。"))
    if not 1 <= count <= MAX_COUNT:
        raise StudyError(_("問題数は1〜%(n)d問で指定してください。") % {"n": MAX_COUNT})
    chosen = _choose(user, exam, source, list(area_codes), count, now)
    if not chosen:
        raise StudyError(_no_questions_message(source))
    kind = StudySession.Kind.REVIEW if source == StudySession.Source.DUE else StudySession.Kind.STUDY
    return StudySession.objects.create(
        user=user, exam=exam, kind=kind, source=source, area_codes=list(area_codes), question_ids=chosen, shown_at=now
    )


def _no_questions_message(source: str) -> str:
    return {
        StudySession.Source.DUE: _("今は復習の時期が来た問題はありません。"),
        StudySession.Source.BOOKMARKED: _("この条件でブックマークした問題はまだありません。"),
        StudySession.Source.WRONG: _("この条件で前回まちがえた問題はありません。"),
        StudySession.Source.UNSEEN: _("この条件でまだ解いていない問題はありません。ほかの出題元も試してください。"),
    }.get(source, _("この条件で出題できる問題がありません。受験中の模擬試験の問題は、提出するまで出題しません。"))


def review_start(*, user, exam: Exam, now=None) -> StudySession:
    """今日の復習: every card due now (up to REVIEW_MAX), longest overdue first."""
    return session_start(user=user, exam=exam, source=StudySession.Source.DUE, count=REVIEW_MAX, now=now)


@transaction.atomic
def todays_set(*, user, exam: Exam, now=None) -> StudySession:
    """今日の10問: one mixed set a day per exam (the same one all day): due reviews first, then questions from the
    person's weakest areas they have not got right yet, then questions they have not met."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    existing = StudySession.objects.select_for_update().filter(user=user, exam=exam, kind="today", day=day).first()
    if existing:
        return existing
    picked: list[int] = []

    def add(source, area_codes, count, limit):
        if len(picked) >= TODAY_SIZE or limit <= 0:
            return  # full already: no query for more
        for qid in _choose(user, exam, source, area_codes, count, now):
            if len(picked) >= TODAY_SIZE or limit <= 0:
                return
            if qid not in picked:
                picked.append(qid)
                limit -= 1

    add(StudySession.Source.DUE, [], TODAY_DUE, TODAY_DUE)
    if weak := weakest_area_codes(user=user, exam=exam):
        # Not yet got right, in the weakest areas: wrong last time, or never met there.
        before = len(picked)
        add(StudySession.Source.WRONG, weak, TODAY_WEAK, TODAY_WEAK)
        add(StudySession.Source.UNSEEN, weak, TODAY_WEAK, TODAY_WEAK - len(picked) + before)
    add(StudySession.Source.UNSEEN, [], TODAY_SIZE, TODAY_SIZE)
    add(StudySession.Source.ALL, [], TODAY_SIZE, TODAY_SIZE)  # a small bank: any
    if not picked:
        raise StudyError(_no_questions_message(StudySession.Source.ALL))
    return StudySession.objects.create(
        user=user,
        exam=exam,
        kind=StudySession.Kind.TODAY,
        source=StudySession.Source.MIXED,
        question_ids=picked,
        shown_at=now,
        day=day,
    )


# --- Answering -------------------------------------------------------------------------------------------------


def _session_of(user, session_id: int, *, lock: bool = False) -> StudySession:
    sessions = StudySession.objects.filter(pk=session_id, user=user)
    session = (sessions.select_for_update() if lock else sessions).first()
    if session is None:
        raise NotAllowed(_("この学習セッションは見つかりません。"))
    return session


def pace_seconds(exam_id: int) -> int:
    pace = Blueprint.objects.filter(exam_id=exam_id, is_drill=True).values_list("seconds_per_question", flat=True)
    return pace.first() or DEFAULT_PACE


@transaction.atomic
def session_answer(*, user, session_id: int, position: int, selected: list[int], now=None) -> StudyAnswer:
    """Record the answer to the session's current question (positions in the question's choice order), review its
    card, and show the key from now on. Answering the same question twice returns the first answer."""
    now = now or timezone.now()
    session = _session_of(user, session_id, lock=True)
    if session.finished_at or position != session.position:
        raise StudyError(_("この問題はもう次へ進んでいます。画面を読み込み直してください。"))
    qid = session.current_question_id
    if session.answered:
        return StudyAnswer.objects.filter(session=session, question_id=qid).latest("answered_at")
    question = Question.objects.select_related("published_version", "area").get(pk=qid)
    if question.published_version_id is None or qid in withheld_keys(user_id=user.pk):
        raise StudyError(_("この問題は今は出題できません。次へ進んでください。"))
    choices = list(VersionChoice.objects.filter(version_id=question.published_version_id).order_by("order"))
    if not selected or any(not isinstance(n, int) or not 0 <= n < len(choices) for n in selected):
        raise StudyError(_("選択肢を選んでください。"))
    if question.kind == Question.Kind.SINGLE and len(set(selected)) != 1:
        raise StudyError(_("この問題は選択肢を1つだけ選んでください。"))
    chosen = {choices[n].pk for n in selected}
    correct = is_right(chosen, {c.pk for c in choices if c.is_correct})
    seconds = min(max(int((now - (session.shown_at or now)).total_seconds()), 0), MAX_SECONDS)
    answer = StudyAnswer.objects.create(
        user=user,
        session=session,
        question=question,
        version_id=question.published_version_id,
        area_code=question.area.code,
        chosen_ids=sorted(chosen),
        correct=correct,
        seconds=seconds,
        answered_at=now,
    )
    grade = scheduling.rating(correct=correct, seconds=seconds, pace_seconds=pace_seconds(session.exam_id))
    _review_cards(user.pk, {qid: (grade, correct)}, now)
    exposures_record(user=user, question_ids=[qid], at=now)
    StudySession.objects.filter(pk=session.pk).update(answered=True)
    return answer


def session_next(*, user, session_id: int, position: int, now=None) -> StudySession:
    """On to the next question (or the end); asking again for the same step changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _session_of(user, session_id, lock=True)
        if session.position == position and session.answered and not session.finished_at:
            session.position += 1
            session.answered = False
            session.shown_at = now
            if session.position >= session.total:
                session.finished_at = now
            session.save(update_fields=["position", "answered", "shown_at", "finished_at"])
    return session


def _memory_of(card: StudyCard | None) -> scheduling.Memory:
    if card is None:
        return scheduling.Memory()
    return scheduling.Memory(card.state, card.step, card.stability, card.difficulty, card.due, card.last_review)


def _review_cards(user_id: int, grades: dict[int, tuple], at) -> None:
    """Review each question's card (created on first answer) with its grade: {question id: (Rating, correct)}."""
    cards = {
        c.question_id: c for c in StudyCard.objects.select_for_update().filter(user_id=user_id, question_id__in=grades)
    }
    new, changed = [], []
    for qid, (grade, correct) in grades.items():
        card = cards.get(qid)
        memory = scheduling.review(_memory_of(card), grade, at)
        if card is None:
            card = StudyCard(user_id=user_id, question_id=qid)
            new.append(card)
        else:
            changed.append(card)
        card.lapses += bool(card.last_correct and not correct)
        card.state, card.step = memory.state, memory.step
        card.stability, card.difficulty = memory.stability, memory.difficulty
        card.due, card.last_review = memory.due, memory.last_review
        card.reviews, card.last_correct = card.reviews + 1, correct
    StudyCard.objects.bulk_create(new)
    fields = ["state", "step", "stability", "difficulty", "due", "last_review", "reviews", "lapses", "last_correct"]
    StudyCard.objects.bulk_update(changed, fields)


# --- Mocks and drills feed the cards too --------------------------------------------------------------------

CARDS = "study-cards"  # the feed cursor's name
BATCH_SIZE = 500


def cards_refresh_all(*, now=None) -> int:
    """Beat, every minute: every question answered in a newly scored mock or drill becomes (or reviews) a card."""
    return feed.read_all(CARDS, _fold_attempts, reset=None, batch_size=BATCH_SIZE, now=now, drills=True)


def _fold_attempts(attempts) -> None:
    by_attempt = {a.pk: a for a in attempts}
    grades: dict[int, dict[int, tuple]] = {}
    at_of: dict[int, object] = {}
    for attempt_id, qid, correct in (
        # A deleted account's attempts stay for statistics but make no cards (privacy.services.account_delete).
        AttemptItem.objects.filter(attempt_id__in=by_attempt, attempt__user__deleted_at__isnull=True)
        .exclude(selected=[])
        .values_list("attempt_id", "version__question_id", "is_correct")
    ):
        attempt = by_attempt[attempt_id]
        grade = scheduling.rating(correct=bool(correct), seconds=None, pace_seconds=DEFAULT_PACE)
        grades.setdefault(attempt.user_id, {})[qid] = (grade, bool(correct))
        at_of[attempt.user_id] = max(at_of.get(attempt.user_id, attempt.scored_at), attempt.scored_at)
    with transaction.atomic():
        for user_id, user_grades in grades.items():
            _review_cards(user_id, user_grades, at_of[user_id])


# --- The exam plan -------------------------------------------------------------------------------------------


def plan_set(*, user, session_id: int | None, now=None) -> ExamPlan | None:
    """Aim at a real exam session (a future one), or at none."""
    if session_id is None:
        ExamPlan.objects.filter(user=user).delete()
        return None
    today = timezone.localdate(now or timezone.now())
    session = ExamSession.objects.filter(pk=session_id, held_on__gte=today).first()
    if session is None:
        raise StudyError(_("これから実施される回を選んでください。"))
    return ExamPlan.objects.update_or_create(user=user, defaults={"session": session})[0]
