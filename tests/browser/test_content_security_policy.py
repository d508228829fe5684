"""Content-Security-Policy in a real browser (issue 1/8 item 7): every page Moshi serves works under a
policy with no inline script or style, and Chromium reports zero violations on the exam page, the result
page, the dashboard, the admin (question add, change, preview, history, bank report, key correction) and
Swagger UI. Private pages are never cached."""

import pytest

from exams.models import Attempt
from questions.models import Question
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects every violation the page reports, from the first script on.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def visit(page, url, wait_for="main, #content, #swagger-ui"):
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    page.wait_for_selector(wait_for)
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__csp")
    assert violations == [], (url, violations)
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
    return response


def open_context(browser, live_server, user):
    context, page = log_in(browser, live_server, user)
    context.add_init_script(LISTEN)
    page.close()
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_candidate_pages_have_no_csp_violations(browser, live_server, candidate, g_blueprint):
    context, page = open_context(browser, live_server, candidate)
    url = live_server.url
    for path in ("/", "/exams/", "/results/", f"/exams/{g_blueprint.slug}/"):
        visit(page, url + path)
    page.click("text=試験を開始する")
    page.wait_for_selector(".exam-q.current")
    assert page.evaluate("window.__csp") == []
    page.keyboard.press("1")
    page.wait_for_selector("#save-status[data-state=saved]")
    page.keyboard.press("r")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#submit-form button[type=submit]")
    page.wait_for_selector(".result-score")
    attempt = Attempt.objects.get(user=candidate)
    response = visit(page, f"{url}/results/{attempt.pk}/")
    assert "no-store" in response.headers["cache-control"] and "private" in response.headers["cache-control"]
    assert "no-store" in visit(page, f"{url}/results/").headers["cache-control"]
    context.close()


@pytest.mark.usefixtures("hr_world")
def test_hr_dashboard_has_no_csp_violations(browser, live_server, hr_manager):
    context, page = open_context(browser, live_server, hr_manager)
    response = visit(page, f"{live_server.url}/org/dashboard/")
    assert "no-store" in response.headers["cache-control"]
    visit(page, f"{live_server.url}/exams/assignments/")
    context.close()


@pytest.mark.usefixtures("cohort_blueprint")
def test_admin_and_swagger_ui_have_no_csp_violations(browser, live_server):
    reviewer = UserFactory(is_staff=True, is_superuser=True, email="root@moshi.example")
    q = Question.objects.first()
    context, page = open_context(browser, live_server, reviewer)
    url = live_server.url
    for path in (
        "/admin/",
        "/admin/questions/question/",
        "/admin/questions/question/add/",
        f"/admin/questions/question/{q.pk}/change/",
        f"/admin/questions/question/{q.pk}/preview/",
        f"/admin/questions/question/{q.pk}/versions/",
        "/admin/questions/question/bank-report/",
        "/admin/questions/question/import/",
        f"/admin/exams/keycorrection/add/?question={q.external_id}",
        "/admin/analytics/itemstat/",
    ):
        visit(page, url + path)
    visit(page, f"{url}/api/docs/", wait_for="#swagger-ui .information-container, #swagger-ui .info")
    context.close()
