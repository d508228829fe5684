import shutil
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import services_required
from tests.exams.conftest import g_blueprint  # noqa: F401  (the short exam these tests take)
from tests.factories import PASSWORD


@pytest.fixture(scope="session")
def live_server(django_db_setup, django_db_blocker, live_server):
    """pytest-django's live server, started after the test database so it stops before the database is dropped.

    While Playwright's sync API runs, Django keys connections by context, so ORM calls in a browser test's body
    open a connection the test's teardown cannot reach; close those before the test database is dropped."""
    yield live_server
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium through Playwright (never `playwright install`)."""
    executable = shutil.which("chromium")
    if not executable:
        if services_required():
            pytest.fail("CI must run the browser tests, but Chromium is not installed")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls in these tests are plain sync code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(browser, live_server, user, **context_options):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].button")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"  # make setup-dev installs it
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 800}


def accessibility_problems(page, impacts=("critical", "serious")) -> list[str]:
    """axe-core's violations of the page as it is now, of the given impacts, one line each. The page's context
    needs bypass_csp=True: axe is injected as a script and run through evaluate, which the CSP would refuse."""
    if not AXE.exists():
        if services_required():
            pytest.fail(f"CI must check accessibility, but {AXE} is missing (make setup-dev installs it)")
        pytest.skip("axe-core is not installed (make setup-dev)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]
