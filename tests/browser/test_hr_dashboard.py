"""The HR dashboard in a real Chromium (issue 17): a heatmap whose steps tell 53% from 59% with the number in every
cell and a header per area that reads differently, chart text that stays text-sized on a wide screen, the drill
assignment from a department's weak area to the member who takes it, and axe on every HR page at both sizes."""

import re

import pytest
from django.utils import timezone

from exams.models import Attempt, AttemptItem
from hr import reports
from hr.models import Assignment, OrgAreaStat, OrgMonthStat
from organizations.models import Department
from questions.models import SyllabusArea
from tests.browser.conftest import DESKTOP, PHONE, accessibility_problems, log_in
from tests.factories import MembershipFactory
from tests.hr.drills import g_drill  # noqa: F401  (the drill HR assigns)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (department, leaf, correct, total); each leaf's top-level area gets the same figures, as the fold writes them.
AREA_FIGURES = [
    ("営業部", "G4.2", 16, 30),  # 53%: sales' weakest area
    ("営業部", "G3.4", 59, 100),  # 59%
    ("営業部", "G9.3", 27, 30),  # 90%
    ("開発部", "G4.2", 24, 30),  # 80%
    ("開発部", "G3.4", 13, 20),  # 65%
]


@pytest.fixture
def dashboard_world(organization, hr_manager, cohort_blueprint, g_drill):  # noqa: F811
    departments = {
        name: Department.objects.create(organization=organization, name=name) for name in ("営業部", "開発部")
    }
    member = MembershipFactory(organization=organization, department=departments["営業部"])
    this_month = timezone.localdate().replace(day=1)
    for name, code, correct, total in AREA_FIGURES:
        leaf = SyllabusArea.objects.get(code=code)
        for area_id in (leaf.pk, leaf.parent_id):
            OrgAreaStat.objects.create(
                organization=organization,
                department=departments[name],
                area_id=area_id,
                month=this_month,
                correct=correct,
                total=total,
            )
    for months_ago, attempts, passed in ((6, 5, 1), (3, 4, 2), (1, 6, 3)):
        OrgMonthStat.objects.create(
            organization=organization,
            department=departments["営業部"],
            blueprint=cohort_blueprint,
            month=reports.months_back(months_ago + 1),
            attempts=attempts,
            passed=passed,
            score_sum=attempts * 0.6,
        )
    return departments, member


def open_dashboard(browser, live_server, user, viewport, **options):
    context, page = log_in(browser, live_server, user, viewport=viewport, **options)
    page.goto(f"{live_server.url}/org/dashboard/")
    page.wait_for_selector("table.heatmap")
    return context, page


def cell(page, department: str, area: str):
    """The heatmap's cell of a department (its row header) and a top-level area (columns in syllabus order)."""
    areas = SyllabusArea.objects.filter(exam__code="g_kentei", parent=None, in_syllabus=True).order_by("order")
    column = 1 + [a.code for a in areas].index(area)
    row = page.locator("table.heatmap tbody tr", has=page.locator(f"th:text-is('{department}')"))
    return row.locator("th, td").nth(column)


def background(locator) -> str:
    return locator.evaluate("el => getComputedStyle(el).backgroundColor")


def test_the_heatmap_shades_53_and_59_apart_and_prints_every_number(browser, live_server, hr_manager, dashboard_world):
    context, page = open_dashboard(browser, live_server, hr_manager, DESKTOP)
    weak, less_weak = cell(page, "営業部", "G4"), cell(page, "営業部", "G3")
    assert (weak.inner_text().split()[0], less_weak.inner_text().split()[0]) == ("53%", "59%")
    assert background(weak) != background(less_weak)
    # Every cell prints its number (or says there is none); colour is never the only signal.
    for text in page.locator("table.heatmap tbody td").all_inner_texts():
        assert re.fullmatch(r"\d+%|—", text.split()[0]), text
    # The legend shows at least six distinguishable steps, each saying its range.
    steps = page.locator(".heat-legend li[class^='heat-']:not(.heat-none)")
    assert steps.count() >= 6
    assert len({background(steps.nth(i)) for i in range(steps.count())}) == steps.count()
    assert all("%" in text for text in steps.all_inner_texts())
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_heatmap_headers_give_each_area_its_code_and_whole_name(
    browser, live_server, hr_manager, dashboard_world, viewport
):
    context, page = open_dashboard(browser, live_server, hr_manager, viewport)
    headers = [" ".join(t.split()) for t in page.locator("table.heatmap thead th.heat-area").all_inner_texts()]
    areas = SyllabusArea.objects.filter(exam__code="g_kentei", parent=None, in_syllabus=True).order_by("order")
    assert headers == [f"{a.code} {a.name}" for a in areas]
    assert len(set(headers)) == len(headers) and not any("…" in h for h in headers)
    clipped = page.locator("table.heatmap thead th.heat-area").evaluate_all(
        "cells => cells.filter(c => c.scrollWidth > c.clientWidth + 1 || c.scrollHeight > c.clientHeight + 1).length"
    )
    assert clipped == 0
    context.close()


@pytest.mark.parametrize(("viewport", "smallest", "largest"), [(DESKTOP, 11, 20), (PHONE, 10, 16)])
def test_chart_text_stays_text_sized_at_desktop_and_phone_widths(
    browser, live_server, hr_manager, dashboard_world, viewport, smallest, largest
):
    context, page = open_dashboard(browser, live_server, hr_manager, viewport)
    heights = page.locator("svg.chart text").evaluate_all(
        "texts => texts.map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"
    )
    assert heights and smallest <= min(heights) and max(heights) <= largest, heights
    context.close()


def test_hr_assigns_a_drill_from_a_weak_area_and_the_member_takes_it_and_is_done(
    browser,
    live_server,
    hr_manager,
    dashboard_world,
    g_drill,  # noqa: F811
):
    departments, member = dashboard_world
    context, page = open_dashboard(browser, live_server, hr_manager, DESKTOP)
    sales_card = page.locator("section[aria-labelledby=weak-title] li.card", has=page.locator("h3:text-is('営業部')"))
    assert sales_card.locator("ol.weak-areas > li").first.inner_text().startswith("G4.2")
    sales_card.locator("a.weak-action").first.click()

    # The form, pre-filled: the drill, the weak area, the department, a due date.
    page.wait_for_url(re.compile(r"/org/assignments/new/"))
    assert page.locator("select[name=blueprint] option:checked").inner_text() == g_drill.name
    assert page.locator("input[name=areas]:checked").evaluate_all("boxes => boxes.map(b => b.value)") == ["G4.2"]
    checked = page.locator("input[name=departments]:checked").evaluate_all("boxes => boxes.map(b => b.value)")
    assert checked == [str(departments["営業部"].pk)]
    assert page.locator("input[name=due_on]").input_value() != ""
    page.click("form.assignment-form button[type=submit]")
    page.wait_for_url(re.compile(r"/org/assignments/\d+/$"))
    assignment = Assignment.objects.get()
    assert [a.code for a in assignment.drill_areas.all()] == ["G4.2"]
    assert member.user.display_name in page.locator("table").inner_text()
    context.close()

    # The member starts the drill from home: exactly that area.
    context, page = log_in(browser, live_server, member.user, viewport=PHONE, bypass_csp=True)
    card = page.locator(".assignments li.card", has=page.locator(f"h3:text-is('{g_drill.name}')"))
    assert "G4.2" in card.inner_text()
    assert accessibility_problems(page) == []
    card.locator("button[type=submit]").click()
    page.wait_for_selector(".exam-q.current")
    attempt = Attempt.objects.get(user=member.user)
    assert set(AttemptItem.objects.filter(attempt=attempt).values_list("area__code", flat=True)) == {"G4.2"}
    page.keyboard.press("1")
    page.wait_for_selector("#save-status[data-state=saved]")
    page.keyboard.press("r")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#submit-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/results/{attempt.pk}/")
    page.goto(f"{live_server.url}/")
    assert "完了" in page.locator(".assignments li.card").inner_text()
    context.close()

    # HR sees it done.
    context, page = log_in(browser, live_server, hr_manager, viewport=DESKTOP)
    page.goto(f"{live_server.url}/org/assignments/{assignment.pk}/")
    row = page.locator("tbody tr", has=page.locator(f"td:text-is('{member.user.display_name}')"))
    assert "完了" in row.inner_text() and "未完了" not in row.inner_text()
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_hr_pages_have_no_serious_accessibility_problems(
    browser,
    live_server,
    hr_manager,
    dashboard_world,
    g_drill,  # noqa: F811
    viewport,
):
    departments, _member = dashboard_world
    sales = departments["営業部"]
    assignment = Assignment.objects.create(
        organization=sales.organization,
        blueprint=g_drill,
        opens_at=timezone.now(),
        due_at=timezone.now() + timezone.timedelta(days=7),
        drill_count=10,
    )
    assignment.departments.set([sales])
    assignment.drill_areas.set(SyllabusArea.objects.filter(code="G4.2"))
    context, page = log_in(browser, live_server, hr_manager, viewport=viewport, bypass_csp=True)
    problems = {}
    for path in (
        "/org/dashboard/",
        "/org/assignments/",
        f"/org/assignments/new/?exam=g_kentei&department={sales.pk}&areas=G4.2",
        "/org/assignments/new/",
        f"/org/assignments/{assignment.pk}/",
    ):
        page.goto(live_server.url + path)
        page.wait_for_selector("main h1")
        problems[path] = accessibility_problems(page)
        # Wide tables scroll in their own region; the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
    # The form after a refused post, with its errors shown.
    page.goto(f"{live_server.url}/org/assignments/new/?exam=g_kentei&department={sales.pk}&areas=G4.2")
    page.fill("input[name=due_on]", "")
    page.click("form.assignment-form button[type=submit]")
    page.wait_for_selector(".errors, .form-errors")
    problems["new, refused"] = accessibility_problems(page)
    assert {path: found for path, found in problems.items() if found} == {}
    context.close()
