"""Recording a real result in Chromium (issue 17, item 15): the session list offers the chosen exam's sessions
(every exam's, under its name, without the script), a refused form keeps the chosen session, and axe-core finds
nothing critical or serious at phone and desktop sizes."""

from datetime import date

import pytest
from django.utils import timezone

from hr.models import RealResult
from tests.browser.conftest import DESKTOP, PHONE, accessibility_problems, log_in
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

E_HELD = ["2026#2", "2026#1", "2025#2", "2025#1"]  # newest first
G_HELD = [f"{year}#{n}" for year in (2026, 2025) for n in range(6, 0, -1)]


@pytest.fixture
def member(organization, monkeypatch):
    # Which seeded sessions have been held depends on the day (the live server runs in this process).
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 12, 3))
    return MembershipFactory(organization=organization).user


def session_values(page) -> list[str]:
    return page.eval_on_selector_all("#id_session option", "options => options.map(o => o.value)")


def group_labels(page) -> list[str]:
    return page.eval_on_selector_all("#id_session optgroup", "groups => groups.map(g => g.label)")


def test_the_session_list_follows_the_chosen_exam(browser, live_server, member):
    context, page = log_in(browser, live_server, member, viewport=DESKTOP)
    page.goto(f"{live_server.url}/real-results/")
    page.select_option("#id_exam", label="E資格")
    assert group_labels(page) == ["E資格"] and session_values(page) == ["", *E_HELD]
    page.select_option("#id_session", "2026#1")

    page.select_option("#id_exam", label="G検定")
    assert group_labels(page) == ["G検定"] and session_values(page) == ["", *G_HELD]
    assert page.input_value("#id_session") == ""  # another exam: choose its session afresh

    page.select_option("#id_exam", label="生成AIテスト")
    assert "この試験の回はまだ登録されていません" in page.locator("#id_session").inner_text()

    page.select_option("#id_exam", label="E資格")
    page.select_option("#id_session", "2026#1")
    page.fill("#id_taken_on", "2099-02-20")  # refused: in the future
    page.click("button:text-is('記録する')")
    page.wait_for_selector("#id_taken_on-errors")
    # The refused form comes back with the same exam and, in its list, the same session.
    assert group_labels(page) == ["E資格"] and page.input_value("#id_session") == "2026#1"

    page.fill("#id_taken_on", "2026-02-20")
    page.check("#id_passed")
    page.click("button:text-is('記録する')")
    page.wait_for_selector(".message-success")
    result = RealResult.objects.get(user=member)
    assert (result.exam.code, result.session, result.passed) == ("e_shikaku", "2026#1", True)
    assert "2026年2月20日" in page.locator("table").inner_text()
    context.close()


def test_without_the_script_every_exams_sessions_are_listed_under_its_name(browser, live_server, member):
    context, page = log_in(browser, live_server, member, viewport=PHONE, java_script_enabled=False)
    page.goto(f"{live_server.url}/real-results/")
    assert group_labels(page) == ["E資格", "G検定"]  # in the exam list's order
    page.select_option("#id_exam", label="G検定")
    page.select_option("#id_session", "2025#6")
    page.fill("#id_taken_on", "2025-11-08")
    page.click("button:text-is('記録する')")
    page.wait_for_selector(".message-success")
    assert RealResult.objects.get(user=member).session == "2025#6"
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_real_results_page_passes_axe(browser, live_server, member, viewport):
    context, page = log_in(browser, live_server, member, viewport=viewport, bypass_csp=True)
    page.goto(f"{live_server.url}/real-results/")
    page.select_option("#id_exam", label="G検定")
    page.click("button:text-is('記録する')")  # no session or date: the errors are shown too
    page.wait_for_selector("#id_session-errors")
    assert accessibility_problems(page) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
    context.close()
