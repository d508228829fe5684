"""The study side through its services and pages: sessions from every source, answers that show the key and
schedule the card (FSRS), cards from mocks and drills, today's set, mocks kept honest, notes, plan, log and streak,
search and glossary, and who may see what."""

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from fsrs import Rating

from exams.models import Attempt, AttemptItem, Exposure, QuestionNote
from exams.services import ExamError, NotAllowed, attempt_start, question_note_save
from hr.models import ExamSession
from questions.models import VersionChoice
from study import scheduling, selectors, services
from study.models import StudyAnswer, StudyCard, StudySession
from tests.world import take

pytestmark = pytest.mark.django_db


def key_of(question_id: int) -> list[int]:
    """The positions (0-based, in the author's order) of a question's correct choices."""
    from questions.models import Question

    version = Question.objects.get(pk=question_id).published_version_id
    choices = list(
        VersionChoice.objects.filter(version_id=version).order_by("order").values_list("is_correct", flat=True)
    )
    return [n for n, right in enumerate(choices) if right]


def wrong_of(question_id: int) -> list[int]:
    return [next(n for n in range(4) if n not in key_of(question_id))]


def answer(user, session, *, right: bool, seconds: int = 20, at=None):
    at = at or timezone.now()
    StudySession.objects.filter(pk=session.pk).update(shown_at=at - timedelta(seconds=seconds))
    session.refresh_from_db()
    qid = session.current_question_id
    result = services.session_answer(
        user=user,
        session_id=session.pk,
        position=session.position,
        selected=key_of(qid) if right else wrong_of(qid),
        now=at,
    )
    services.session_next(user=user, session_id=session.pk, position=session.position, now=at)
    session.refresh_from_db()
    return result


# --- Grading and scheduling -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("correct", "seconds", "grade"),
    [
        (False, 5, Rating.Again),
        (True, 20, Rating.Easy),
        (True, 21, Rating.Good),
        (True, 60, Rating.Good),
        (True, 61, Rating.Hard),
        (True, None, Rating.Good),
    ],
)
def test_an_answer_grades_its_review_by_correctness_and_time_against_the_exams_pace(correct, seconds, grade):
    assert scheduling.rating(correct=correct, seconds=seconds, pace_seconds=40) == grade


def test_a_right_answer_is_seen_again_later_than_a_wrong_one():
    now = timezone.now()
    wrong = scheduling.review(scheduling.Memory(), Rating.Again, now)
    right = scheduling.review(scheduling.Memory(), Rating.Easy, now)
    assert now < wrong.due < right.due
    again = scheduling.review(right, Rating.Good, right.due)
    assert again.due - right.due > right.due - now  # intervals grow as a card is remembered


# --- Sessions ----------------------------------------------------------------------------------------------


def test_a_session_shows_no_key_before_the_answer_and_everything_after(client, candidate, bank):
    exam, _mock, _questions = bank
    session = services.session_start(user=candidate, exam=exam, area_codes=["G4"], count=3)
    assert session.total == 3 and all(q for q in session.question_ids)
    client.force_login(candidate)
    url = reverse("study:session", args=[session.pk])
    before = client.get(url).content.decode()
    assert (
        "正しい説明" in before
        and "（正解）" not in before
        and "解説" not in before.split("<main")[1].split("キー操作")[0]
    )
    qid = session.current_question_id
    response = client.post(url, {"position": 0, "action": "answer", "q1": key_of(qid)})
    assert response.status_code == 302
    after = client.get(url).content.decode()
    assert "◯ 正解" in after and "（正解）" in after and "ReLUは max(0, x) です。" in after
    answer_row = StudyAnswer.objects.get(user=candidate, question_id=qid)
    assert answer_row.correct and StudyCard.objects.get(user=candidate, question_id=qid).reviews == 1
    assert Exposure.objects.filter(user=candidate, question_id=qid).exists()  # the key was shown: seen


def test_answering_twice_or_out_of_turn_changes_nothing(candidate, bank):
    exam, _mock, _questions = bank
    session = services.session_start(user=candidate, exam=exam, count=2)
    qid = session.current_question_id
    first = services.session_answer(user=candidate, session_id=session.pk, position=0, selected=wrong_of(qid))
    again = services.session_answer(user=candidate, session_id=session.pk, position=0, selected=key_of(qid))
    assert again.pk == first.pk and not again.correct  # a second try does not rewrite the first
    with pytest.raises(ExamError):
        services.session_answer(user=candidate, session_id=session.pk, position=1, selected=[0])  # not there yet
    services.session_next(user=candidate, session_id=session.pk, position=0)
    services.session_next(user=candidate, session_id=session.pk, position=0)  # a double click moves once
    session.refresh_from_db()
    assert session.position == 1
    assert StudyCard.objects.get(user=candidate, question_id=qid).reviews == 1


def test_odd_answers_are_refused_with_a_message(candidate, bank):
    exam, _mock, questions = bank
    single = next(q for q in questions if q.kind == "single")
    session = services.session_start(user=candidate, exam=exam, area_codes=[single.area.code], count=1)
    for selected in ([], [7], [0, 1], ["0"]):
        with pytest.raises(ExamError):
            services.session_answer(user=candidate, session_id=session.pk, position=0, selected=selected)
    assert not StudyAnswer.objects.exists()


def test_nobody_else_answers_or_sees_a_session(client, candidate, other_candidate, bank):
    exam, _mock, _questions = bank
    session = services.session_start(user=candidate, exam=exam, count=1)
    with pytest.raises(NotAllowed):
        services.session_answer(user=other_candidate, session_id=session.pk, position=0, selected=[0])
    client.force_login(other_candidate)
    assert client.get(reverse("study:session", args=[session.pk])).status_code == 404
    assert client.post(reverse("study:session", args=[session.pk]), {"position": 0, "q1": 0}).status_code == 404


def test_sources_pick_unseen_wrong_bookmarked_and_due_questions(candidate, bank):
    exam, _mock, questions = bank
    session = services.session_start(user=candidate, exam=exam, area_codes=["G3"], count=4)
    results = {}
    for _ in range(4):
        right = len(results) % 2 == 0
        results[session.current_question_id] = right
        answer(candidate, session, right=right)
    g3 = {q.pk for q in questions if q.area.code == "G3.4"}
    unseen = services.session_start(user=candidate, exam=exam, source="unseen", count=20)
    assert not set(unseen.question_ids) & g3 and len(unseen.question_ids) == 8
    wrong = services.session_start(user=candidate, exam=exam, source="wrong", count=20)
    assert set(wrong.question_ids) == {qid for qid, right in results.items() if not right}
    marked = next(iter(g3))
    question_note_save(user=candidate, question_id=marked, bookmarked=True)
    assert services.session_start(user=candidate, exam=exam, source="bookmarked", count=20).question_ids == [marked]
    with pytest.raises(services.StudyError):
        services.session_start(user=candidate, exam=exam, source="due", count=20)  # nothing due yet (minutes away)
    tomorrow = timezone.now() + timedelta(days=1)
    due = services.session_start(user=candidate, exam=exam, source="due", count=20, now=tomorrow)
    assert set(due.question_ids) == {qid for qid, right in results.items() if not right} and due.kind == "review"
    in_a_month = timezone.now() + timedelta(days=30)  # the ones answered right (easily) come back later
    assert set(
        services.session_start(user=candidate, exam=exam, source="due", count=20, now=in_a_month).question_ids
    ) == set(results)


def test_study_never_shows_a_question_an_open_mock_holds(candidate, bank):
    exam, mock, _questions = bank
    held = set(attempt_start(user=candidate, blueprint=mock).items.values_list("version__question_id", flat=True))
    session = services.session_start(user=candidate, exam=exam, count=100)
    assert session.total == 6 and not set(session.question_ids) & held


def test_mocks_stay_honest_after_study(candidate, bank):
    """Studied questions are 'seen': a full mock draws the unseen ones first, and a studied question that still
    comes up is scored apart from the first-seen ones."""
    exam, mock, _questions = bank
    session = services.session_start(user=candidate, exam=exam, area_codes=["G4"], count=2)
    studied = set(session.question_ids)
    answer(candidate, session, right=True)
    answer(candidate, session, right=True)
    attempt = take(mock, user=candidate, right=6, rng=random.Random(1))
    drawn = set(attempt.items.values_list("version__question_id", flat=True))
    assert not drawn & studied  # 3 unseen G4 questions were there to draw first
    session = services.session_start(user=candidate, exam=exam, area_codes=["G4"], count=5)  # now every G4 one
    for _ in range(session.total):
        answer(candidate, session, right=True)
    second = take(mock, user=candidate, right=6, rng=random.Random(2))
    g4 = AttemptItem.objects.filter(attempt=second, version__question__area__code="G4.2")
    assert g4.count() == 3 and all(g4.values_list("seen_before", flat=True))  # studied: scored apart
    assert second.first_seen_total < second.question_count


def test_mocks_and_drills_feed_the_cards_once(candidate, bank):
    _exam, mock, _questions = bank
    attempt = take(mock, user=candidate, right=4, rng=random.Random(1))
    answered = AttemptItem.objects.filter(attempt=attempt).exclude(selected=[]).count()
    later = timezone.now() + timedelta(minutes=5)
    assert services.cards_refresh_all(now=later) == 1
    assert StudyCard.objects.filter(user=candidate).count() == answered
    assert services.cards_refresh_all(now=later) == 0  # read once
    assert set(StudyCard.objects.filter(user=candidate).values_list("reviews", flat=True)) == {1}


def test_todays_set_mixes_due_weak_and_unseen_and_is_the_same_all_day(candidate, bank):
    exam, _mock, _questions = bank
    session = services.session_start(user=candidate, exam=exam, area_codes=["G3"], count=4)
    for _ in range(4):
        answer(candidate, session, right=False)  # G3.4 weak, and its four cards due again in minutes
    later = timezone.now() + timedelta(hours=2)
    today = services.todays_set(user=candidate, exam=exam, now=later)
    g3 = set(session.question_ids)
    assert today.total == 10 and set(today.question_ids[:4]) == g3  # the due reviews first
    assert services.todays_set(user=candidate, exam=exam, now=later).pk == today.pk


# --- Notes -------------------------------------------------------------------------------------------------


def test_notes_wait_for_the_key_and_only_for_questions_met(candidate, bank):
    _exam, mock, questions = bank
    with pytest.raises(NotAllowed):
        question_note_save(user=candidate, question_id=questions[0].pk, bookmarked=True)  # never met
    attempt = attempt_start(user=candidate, blueprint=mock)
    held = attempt.items.first().version.question_id
    question_note_save(user=candidate, question_id=held, bookmarked=True)  # a bookmark is fine during the mock
    with pytest.raises(NotAllowed):
        question_note_save(user=candidate, question_id=held, text="答えは2らしい")  # a note waits for the key
    Attempt.objects.filter(pk=attempt.pk).update(status="submitted")
    note = question_note_save(user=candidate, question_id=held, text="勾配消失はシグモイドで起きやすい")
    assert note.bookmarked and note.text.startswith("勾配消失")
    assert question_note_save(user=candidate, question_id=held, bookmarked=False, text="") is None
    assert not QuestionNote.objects.exists()


def test_notes_appear_in_results_and_on_the_notes_page_only_for_their_owner(client, candidate, other_candidate, bank):
    _exam, mock, _questions = bank
    attempt = take(mock, user=candidate, right=3, rng=random.Random(1))
    qid = attempt.items.order_by("position").first().version.question_id
    question_note_save(user=candidate, question_id=qid, bookmarked=True, text="シグモイドの微分は最大0.25")
    client.force_login(candidate)
    report = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    assert "シグモイドの微分は最大0.25" in report and "★ ブックマーク済み" in report
    notes = client.get(reverse("study:notes")).content.decode()
    assert "シグモイドの微分は最大0.25" in notes
    client.force_login(other_candidate)
    assert "シグモイドの微分は最大0.25" not in client.get(reverse("study:notes")).content.decode()
    response = client.post(reverse("study:note", args=[qid]), {"action": "note", "text": "上書き"})
    assert response.status_code == 302 and QuestionNote.objects.get(user=candidate).text.startswith("シグモイド")


def test_the_note_form_goes_back_only_to_this_site(client, candidate, bank):
    exam, _mock, _questions = bank
    session = services.session_start(user=candidate, exam=exam, count=1)
    answer(candidate, session, right=True)
    client.force_login(candidate)
    qid = session.question_ids[0]
    response = client.post(reverse("study:note", args=[qid]), {"action": "bookmark", "next": "https://evil.example/"})
    assert response["Location"] == reverse("study:notes")


# --- Plan, log and streak ----------------------------------------------------------------------------------


def test_the_plan_counts_down_and_spreads_the_unseen_bank(candidate, bank):
    exam, mock, _questions = bank
    today = timezone.localdate()
    past = ExamSession.objects.create(exam=exam, label="2098#1", held_on=today - timedelta(days=10))
    with pytest.raises(services.StudyError):
        services.plan_set(user=candidate, session_id=past.pk)
    coming = ExamSession.objects.create(exam=exam, label="2099#1", held_on=today + timedelta(days=17))
    services.plan_set(user=candidate, session_id=coming.pk)
    plan = selectors.plan_for(user=candidate)
    # 12 unseen questions over the 10 days before the last week; nothing due.
    assert (plan.days_left, plan.unseen, plan.due, plan.per_day) == (17, 12, 0, 2)
    assert plan.mock_on == coming.held_on - timedelta(days=7) and plan.mock == mock


def test_the_log_counts_questions_minutes_and_an_honest_streak(candidate, bank):
    exam, _mock, _questions = bank
    now = timezone.now()
    for days_ago in (3, 2, 1):
        session = services.session_start(user=candidate, exam=exam, count=2)
        at = now - timedelta(days=days_ago)
        answer(candidate, session, right=True, seconds=90, at=at)
        answer(candidate, session, right=False, seconds=30, at=at)
    log = selectors.study_log(user=candidate)
    yesterday = next(d for d in log.days if d.day == timezone.localdate() - timedelta(days=1))
    assert (yesterday.questions, yesterday.minutes, yesterday.rate) == (2, 2, 0.5)
    # Not studied yet today: the streak still counts the three days (no day lost before it ends).
    assert (log.streak, log.studied_today, log.total_days) == (3, False, 3)
    assert log.areas and all(len(rates) == len(log.weeks) for _code, _name, rates in log.areas)


# --- Search and glossary ------------------------------------------------------------------------------------


def test_search_finds_only_questions_whose_key_the_person_may_see(candidate, other_candidate, bank):
    exam, mock, _questions = bank
    session = services.session_start(user=candidate, exam=exam, area_codes=["G4"], count=5)
    for _ in range(5):
        answer(candidate, session, right=True)
    found = selectors.search(user=candidate, query="勾配消失")
    assert len(found) == 5 and all("勾配消失" in q.published_version.stem_html for q in found)
    assert selectors.search(user=candidate, query="勾配消失　（3）")  # two words, a full-width space between
    assert selectors.search(user=candidate, query="過学習") == []  # never met
    assert selectors.search(user=other_candidate, query="勾配消失") == []
    attempt_start(user=candidate, blueprint=mock)  # an open mock holds some of them again
    held = set(AttemptItem.objects.filter(attempt__status="open").values_list("version__question_id", flat=True))
    assert not {q.pk for q in selectors.search(user=candidate, query="勾配消失")} & held


def test_the_glossary_links_terms_to_questions_met(client, candidate, bank):
    exam, _mock, _questions = bank
    groups = selectors.glossary(exam=exam)
    assert groups and all(terms for _area, terms in groups)
    client.force_login(candidate)
    assert client.get(reverse("study:glossary")).status_code == 200
    session = services.session_start(user=candidate, exam=exam, area_codes=["G3"], count=1)
    answer(candidate, session, right=True)
    visible, more = selectors.term_questions(user=candidate, exam=exam, term="過学習")
    assert [q.pk for q in visible] == session.question_ids and more == 3
    page = client.get(reverse("study:term") + "?exam=g_kentei&term=過学習").content.decode()
    assert "過学習を防ぐ方法" in page


# --- Pages and their cost ------------------------------------------------------------------------------------


def test_the_study_pages_cost_the_same_queries_for_few_and_many_cards(
    client, candidate, bank, django_assert_max_num_queries
):
    exam, _mock, _questions = bank
    client.force_login(candidate)

    def pages():
        return [
            reverse("home"),
            reverse("study:home"),
            reverse("study:notes"),
            reverse("study:log"),
            reverse("study:search") + "?q=正しい",
            reverse("study:term") + "?exam=g_kentei&term=過学習",
        ]

    session = services.session_start(user=candidate, exam=exam, count=2)
    answer(candidate, session, right=True)
    for url in pages():
        with django_assert_max_num_queries(25):
            assert client.get(url).status_code == 200
    session = services.session_start(user=candidate, exam=exam, count=12)
    for _ in range(session.total):
        answer(candidate, session, right=False)
        question_note_save(user=candidate, question_id=session.question_ids[session.position - 1], bookmarked=True)
    for url in pages():
        with django_assert_max_num_queries(25):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "name, english",
    [
        ("study:home", "Study mode"),
        ("study:notes", "My notes"),
        ("study:log", "Study log"),
        ("study:plan", "Exam session"),
        ("study:search", "Search the questions you have answered"),
        ("study:glossary", "Glossary"),
    ],
)
def test_study_pages_read_in_english(client, candidate, bank, name, english):
    """Japanese first, English too: a reader who chose English gets the study pages in English."""
    client.force_login(candidate)
    client.cookies["django_language"] = "en"
    html = client.get(reverse(name)).content.decode()
    assert english in html
    assert "学習モード" not in html and "マイノート" not in html
