"""Study mode in a real Chromium: a session by keyboard on a phone-sized page, a bookmark and a note that survive
a reload, a review that comes due after its interval, and no serious accessibility problems."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from exams.models import Blueprint
from questions.models import Exam
from study.models import StudyCard, StudySession
from tests.browser.conftest import DESKTOP, PHONE, accessibility_problems, log_in
from tests.factories import make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bank():
    for i in range(4):
        make_question(
            external_id=f"b-s-{i}",
            area="G4.2",
            stem=f"勾配消失について正しいものを1つ選べ（{i}）",
            choices=[(f"正しい説明{i}", True), (f"誤り{i}a", False), (f"誤り{i}b", False), (f"誤り{i}c", False)],
        )
    exam = Exam.objects.get(code="g_kentei")
    Blueprint.objects.create(exam=exam, name="ドリル", slug="g-drill", minutes=0, question_count=0, is_drill=True)
    return exam


def ready(page, selector: str) -> None:
    """Wait for the next page, and for its keyboard script: the form is there before study.js runs, and a key
    pressed in between is lost (the press does nothing without the script)."""
    page.wait_for_selector(selector)
    page.wait_for_load_state("load")


def start(page, live_server, count=3):
    page.goto(f"{live_server.url}/study/?exam=g_kentei")
    page.locator("input[name=areas][value=G4]").check()
    page.fill("input[name=count]", str(count))
    page.click("button:text('学習を始める')")
    ready(page, "form[data-study=ask]")


def key_position(page) -> int:
    """Which on-screen choice is right (the bank puts 正しい説明 in it)."""
    texts = page.locator(".choices .choice-text").all_inner_texts()
    return next(n for n, text in enumerate(texts) if "正しい説明" in text)


def test_a_study_session_by_keyboard_on_a_phone(browser, live_server, candidate, bank):
    context, page = log_in(browser, live_server, candidate, viewport=PHONE)
    start(page, live_server)
    for n in range(3):
        right = key_position(page)
        choice = right if n != 1 else (right + 1) % 4  # the second one wrong
        page.keyboard.press(str(choice + 1))
        page.keyboard.press("Enter")
        ready(page, ".study-feedback")  # Enter goes on from here
        expect(page.locator("#feedback-title")).to_have_text("◯ 正解" if n != 1 else "✕ 不正解")
        assert "ReLUは max(0, x) です。" in page.locator(".explanation").inner_text()  # the explanation at once
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        page.keyboard.press("Enter")  # next
        ready(page, "form[data-study=ask]" if n < 2 else "text=おつかれさまでした")
    session = StudySession.objects.get(user=candidate)
    assert session.finished_at and session.answers.filter(correct=True).count() == 2
    context.close()


def test_leaving_and_coming_back_resumes_and_a_bookmark_and_note_survive_a_reload(
    browser, live_server, candidate, bank
):
    context, page = log_in(browser, live_server, candidate, viewport=DESKTOP)
    start(page, live_server)
    page.keyboard.press(str(key_position(page) + 1))
    page.keyboard.press("Enter")
    page.wait_for_selector(".study-feedback")
    page.click("button:text('ブックマークする')")
    page.wait_for_selector("button[aria-pressed=true]")  # the bookmark's page has loaded
    page.fill("#note-text", "シグモイドは勾配が消えやすい")
    page.click("button:text('メモを保存')")
    page.wait_for_selector("text=メモを保存しました。")  # reload only once the save's page has loaded
    page.reload()
    assert page.locator("button[aria-pressed=true]", has_text="ブックマーク済み").count() == 1
    assert page.locator("#note-text").input_value() == "シグモイドは勾配が消えやすい"
    page.goto(f"{live_server.url}/study/")  # leave
    page.click(".resume-list a")  # and come back
    page.wait_for_selector(".study-feedback")  # where it was: the first question, answered
    page.goto(f"{live_server.url}/study/notes/")
    assert "シグモイドは勾配が消えやすい" in page.locator(".note-list").inner_text()
    context.close()


def test_a_review_comes_due_after_its_interval(browser, live_server, candidate, bank):
    context, page = log_in(browser, live_server, candidate, viewport=PHONE)
    start(page, live_server, count=1)
    page.keyboard.press(str((key_position(page) + 1) % 4 + 1))  # wrong: Again
    page.keyboard.press("Enter")
    page.wait_for_selector(".study-feedback")
    page.goto(f"{live_server.url}/")
    assert page.locator(".study-today button", has_text="今日の復習").count() == 0  # due in minutes, not yet
    card = StudyCard.objects.get(user=candidate)
    StudyCard.objects.filter(pk=card.pk).update(due=card.due - timedelta(hours=1))  # time passes
    page.reload()
    page.click(".study-today button:text('今日の復習 1問（G検定）')")
    page.wait_for_selector("form[data-study=ask]")
    review = StudySession.objects.get(user=candidate, kind="review")
    assert review.question_ids == [card.question_id]
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_study_pages_have_no_serious_accessibility_problems(browser, live_server, candidate, bank, viewport):
    context, page = log_in(browser, live_server, candidate, viewport=viewport, bypass_csp=True)
    problems = {}
    start(page, live_server, count=2)
    problems["question"] = accessibility_problems(page)
    page.keyboard.press(str(key_position(page) + 1))
    page.keyboard.press("Enter")
    page.wait_for_selector(".study-feedback")
    problems["feedback"] = accessibility_problems(page)
    for path in (
        "/",
        "/study/",
        "/study/notes/",
        "/study/log/",
        "/study/plan/",
        "/study/search/?q=勾配",
        "/study/glossary/",
    ):
        page.goto(f"{live_server.url}{path}")
        problems[path] = accessibility_problems(page)
    context.close()
    assert {where: found for where, found in problems.items() if found} == {}
