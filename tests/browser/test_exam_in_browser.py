"""The exam page in a real headless Chromium (Debian's package, driven by Playwright): mouse and
keyboard, reload, offline and back, the review screen, submit, and the clock running out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exams.models import Attempt, AttemptItem, Blueprint, BlueprintQuota
from exams.services import attempt_start
from questions.models import SyllabusArea
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def saved(page):
    # Selectors, not wait_for_function: the Content-Security-Policy refuses the eval Playwright would use.
    page.wait_for_selector("#save-status[data-state=saved]")


def selected(attempt, position):
    return AttemptItem.objects.get(attempt=attempt, position=position).selected


def test_a_candidate_takes_a_short_exam_from_start_to_result(browser, live_server, candidate, g_blueprint):
    context, page = log_in(browser, live_server, candidate)
    page.goto(f"{live_server.url}/exams/")
    page.click(f"a[href='/exams/{g_blueprint.slug}/'].button")
    page.click("text=試験を開始する")
    page.wait_for_selector(".exam-q.current")
    attempt = Attempt.objects.get(user=candidate)
    # The start answered its POST with the exam page; the address bar shows the attempt's own address, so the
    # reload below is a GET of the attempt, not a resent start form.
    assert page.url.split("#")[0] == f"{live_server.url}/exams/attempts/{attempt.pk}/"
    saved(page)

    # Mouse: the second choice of question 1.
    page.locator(".exam-q.current .choice").nth(1).click()
    saved(page)
    assert selected(attempt, 1) == [1]

    # Keyboard: → to question 2, "3" answers, "f" flags.
    page.keyboard.press("ArrowRight")
    assert page.locator(".exam-q.current").get_attribute("data-n") == "2"
    page.keyboard.press("3")
    page.keyboard.press("f")
    saved(page)
    item = AttemptItem.objects.get(attempt=attempt, position=2)
    assert (item.selected, item.flagged) == ([2], True)
    assert "flagged" in page.locator(".nav-cell[data-n='2']").get_attribute("class")

    # Reload mid-exam: the same question, with its answer and flag, from the server.
    page.reload()
    page.wait_for_selector(".exam-q.current")
    assert page.locator(".exam-q.current").get_attribute("data-n") == "2"
    assert page.locator(".exam-q.current input[value='2']").is_checked()
    assert page.locator(".exam-q.current .flag").get_attribute("aria-pressed") == "true"

    # Offline: the answer waits in the browser, then is sent when the network returns.
    context.set_offline(True)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("a")
    page.wait_for_selector("#save-status[data-state=unsaved]")
    assert selected(attempt, 3) == []
    context.set_offline(False)
    saved(page)
    assert selected(attempt, 3) == [0]

    # A failed save survives a reload: it is kept in localStorage and sent when the page comes back.
    page.route("**/save", lambda route: route.abort())
    page.keyboard.press("ArrowRight")
    page.keyboard.press("2")
    page.wait_for_selector("#save-status[data-state=unsaved]")
    page.unroute("**/save")
    page.reload()
    page.wait_for_selector(".exam-q.current")
    saved(page)
    assert selected(attempt, 4) == [1]

    # Review shows every question by state, unanswered or flagged ones on request; submit after confirming.
    page.keyboard.press("r")
    page.check("input[name=review-show][value=unanswered]")
    assert page.locator(".review-cell:visible").all_inner_texts() == ["5"]
    page.check("input[name=review-show][value=flagged]")
    assert page.locator(".review-cell:visible").all_inner_texts() == ["2"]
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#submit-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/results/{attempt.pk}/")
    page.wait_for_selector(".result-score")
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SCORED and attempt.submitted_by == Attempt.SubmittedBy.CANDIDATE
    assert f"{attempt.correct_count} / 5" in page.locator(".result-score").inner_text()
    assert page.locator(".review-item").count() == 5
    context.close()


def test_when_the_clock_runs_out_the_page_submits_and_the_result_appears(browser, live_server, candidate, g_blueprint):
    one_minute = Blueprint.objects.create(
        exam=g_blueprint.exam, name="1分テスト", slug="one-minute", minutes=1, question_count=2
    )
    BlueprintQuota.objects.create(blueprint=one_minute, area=SyllabusArea.objects.get(code="G4"), count=2)
    attempt = attempt_start(user=candidate, blueprint=one_minute)
    # The candidate started 55 seconds ago and comes back with 5 seconds left.
    shift = timedelta(seconds=55)
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=attempt.started_at - shift, deadline=attempt.deadline - shift
    )
    assert attempt.deadline - shift - timezone.now() < timedelta(seconds=6)

    context, page = log_in(browser, live_server, candidate)
    page.goto(f"{live_server.url}/exams/attempts/{attempt.pk}/")
    # The network fails for the last answer until after the deadline: it must still arrive before the
    # page submits (the server takes answers for a short grace), not be dropped.
    page.route("**/save", lambda route: route.abort())
    page.keyboard.press("1")
    page.wait_for_selector("#save-status[data-state=unsaved]")
    page.wait_for_selector("#timer:text-is('00:00')", timeout=15_000)
    page.wait_for_timeout(2_000)
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.OPEN  # held back while answers wait
    page.unroute("**/save")
    page.wait_for_url(f"{live_server.url}/results/{attempt.pk}/", timeout=20_000)
    page.wait_for_selector(".result-score", timeout=10_000)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SCORED and attempt.submitted_by == Attempt.SubmittedBy.TIMER
    assert selected(attempt, 1) == [0]
    context.close()


def test_on_a_phone_the_navigator_is_a_drawer(browser, live_server, candidate, g_blueprint):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    context, page = log_in(browser, live_server, candidate, viewport={"width": 390, "height": 844}, has_touch=True)
    page.goto(f"{live_server.url}/exams/attempts/{attempt.pk}/")
    page.wait_for_selector(".exam-q.current")
    assert not page.locator("#navigator").is_visible()
    page.click(".nav-toggle")
    page.click(".nav-cell[data-n='4']")
    assert page.locator(".exam-q.current").get_attribute("data-n") == "4"
    assert not page.locator("#navigator").is_visible()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390, "the exam page must not scroll sideways on a phone"
    context.close()
