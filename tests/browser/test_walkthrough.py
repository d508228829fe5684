"""What a new candidate trips over, checked in a real Chromium at desktop (1366×800) and phone (390×844) sizes:
geometry and DOM, not just "the page loads" (issue 5/8). Each test failed before its repair."""

from datetime import timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from exams.models import Attempt, Blueprint, BlueprintQuota
from exams.services import answer_save, attempt_score, attempt_start, attempt_submit
from questions.models import Exam, SyllabusArea
from tests.browser.conftest import DESKTOP, PHONE, accessibility_problems, log_in
from tests.factories import UserFactory, key_positions, make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_STEM = (
    "ある企業が画像分類モデルを業務に導入しようとしている。学習データの偏り、評価指標の選び方、"
    "運用後のデータの変化への備えについて検討した。" * 6 + "この状況で最も適切な対応を1つ選べ。"
)
WIDE_CODE = (
    "次のコードの (A) の行が行っていることとして正しいものを1つ選べ。\n\n```python\n"
    "model = torch.nn.Sequential(torch.nn.Linear(1024, 4096), torch.nn.ReLU(), torch.nn.Linear(4096, 1024))  # (A)\n"
    "```"
)
WIDE_MATH = (
    "ソフトマックス関数は次の式で表される。\n\n$$\\mathrm{softmax}(z)_i = \\frac{\\exp(z_i)}{\\sum_{j=1}^{K} "
    "\\exp(z_j)} \\quad \\text{for } i = 1, \\dots, K \\text{ and } z = (z_1, \\dots, z_K) \\in \\mathbb{R}^K$$\n\n"
    "交差エントロピーに重み減衰を加えた損失は "
    "$L = -\\sum_{i=1}^{N} \\sum_{k=1}^{K} t_{ik} \\log y_{ik} "
    "+ \\lambda \\sum_{l=1}^{L} \\sum_{m,n} (W^{(l)}_{mn})^2$ である。"
)


def four(tag):
    return [
        (f"{tag}の正しい説明", True),
        (f"{tag}の誤った説明その一", False),
        (f"{tag}の誤った説明その二", False),
        (f"{tag}の誤った説明その三", False),
    ]


@pytest.fixture
def walk():
    """A 24-question G検定 form: long stems, a wide code block and a wide formula in explanations, and
    select-all questions; plus the G検定 drill."""
    for i in range(10):
        make_question(external_id=f"w-long-{i}", area="G4.2", stem=LONG_STEM, choices=four(f"長文{i}"))
    for i in range(6):
        make_question(
            external_id=f"w-code-{i}", area="G3.4", stem=WIDE_CODE, choices=four(f"コード{i}"), explanation=WIDE_MATH
        )
    for i in range(6):
        make_question(
            external_id=f"w-multi-{i}",
            area="G5.1",
            kind="multiple",
            stem="正しいものをすべて選べ。",
            choices=[
                (f"正しい記述A{i}", True),
                (f"正しい記述B{i}", True),
                (f"誤った記述C{i}", False),
                (f"誤った記述D{i}", False),
            ],
        )
    for i in range(4):
        make_question(external_id=f"w-six-{i}", area="G6.1", choices=four(f"応用{i}"))
    exam = Exam.objects.get(code="g_kentei")
    form = Blueprint.objects.create(exam=exam, name="G検定 ミニ本番", slug="walk", minutes=30, question_count=24)
    for code, n in (("G4", 8), ("G3", 6), ("G5", 6), ("G6", 4)):
        BlueprintQuota.objects.create(blueprint=form, area=SyllabusArea.objects.get(code=code), count=n)
    drill = Blueprint.objects.create(
        exam=exam, name="G検定 分野別ドリル", slug="g-drill", minutes=0, question_count=0, is_drill=True
    )
    return form, drill


def scored(blueprint, user, *, right=lambda item: item.position % 3 != 0, **start) -> Attempt:
    attempt = attempt_start(user=user, blueprint=blueprint, **start)
    for item in attempt.items.select_related("version").order_by("position"):
        keys = key_positions(item)
        chosen = keys if right(item) else [n for n in range(item.choice_count) if n not in keys][:1]
        answer_save(
            user=user,
            attempt_id=attempt.pk,
            position=item.position,
            selected=chosen,
            flagged=item.position % 5 == 0,
            seq=1,
        )
    attempt_submit(attempt=attempt)
    attempt_score(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    return attempt


def page_for(browser, live_server, user, viewport, **options):
    return log_in(browser, live_server, user, viewport=viewport, **options)


def scroll_down(page, pixels: int = 3000) -> None:
    """Scroll as a reader does, but finished before the next step: a wheel event's scroll can still be under way
    on a busy machine when the next key is pressed, and would carry the page past where the jump put it."""
    page.evaluate("(y) => window.scrollBy({top: y, behavior: 'instant'})", pixels)


def below_the_bar(page, heading_selector) -> bool:
    """Whether the heading comes to rest below the sticky bar. The jump may scroll over a few frames (slower on a
    busy machine), so this waits up to 5 s for the resting place instead of reading one instant."""
    try:
        page.wait_for_function(
            """(sel) => {
                const bar = document.querySelector('.exam-bar').getBoundingClientRect();
                const heading = document.querySelector(sel).getBoundingClientRect();
                return heading.top >= bar.bottom - 1;
            }""",
            arg=heading_selector,
            timeout=5000,
        )
    except PlaywrightTimeout:
        return False
    return True


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


# --- 1. The sticky timer bar never hides the question jumped to ---------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_kind_of_jump_shows_the_question_heading_below_the_timer_bar(
    browser, live_server, candidate, walk, viewport
):
    form, _ = walk
    context, page = page_for(browser, live_server, candidate, viewport, bypass_csp=True)
    page.goto(f"{live_server.url}/exams/{form.slug}/")
    page.click("text=試験を開始する")
    page.wait_for_selector(".exam-q.current")
    scroll_down(page)  # read to the bottom of question 1 first

    # The navigator (on a phone it opens from the bar).
    if viewport is PHONE:
        page.click("[data-action=navigator]")
    page.click(".nav-cell[data-n='17']")
    assert below_the_bar(page, "#q17-title")

    # The review list.
    page.click("[data-action=review]")
    page.locator(".review-cell", has_text="19").click()
    assert below_the_bar(page, "#q19-title")

    # Next, after scrolling down a long question.
    scroll_down(page)
    page.keyboard.press("ArrowRight")
    assert below_the_bar(page, "#q20-title")

    # A reload on #q20, and a link to #q12.
    page.reload()
    page.wait_for_selector(".exam-q.current")
    assert page.locator(".exam-q.current").get_attribute("data-n") == "20"
    assert below_the_bar(page, "#q20-title")
    page.goto(f"{page.url.split('#')[0]}#q12")
    page.wait_for_selector("#q12.current")
    assert below_the_bar(page, "#q12-title")
    context.close()


# --- 6. No page is wider than a phone; wide blocks scroll inside themselves, visibly ------------------------------


def test_formulas_and_code_stay_inside_a_phone_screen(browser, live_server, candidate, walk):
    form, _ = walk
    attempt = scored(form, candidate)
    context, page = page_for(browser, live_server, candidate, PHONE, bypass_csp=True)
    page.goto(
        f"{live_server.url}/exams/attempts/{attempt.pk}/" if False else f"{live_server.url}/results/{attempt.pk}/"
    )
    page.locator(".review-item").first.wait_for()
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => (d.open = true))")
    assert page_width(page) <= PHONE["width"]
    for selector in ("pre", "math[display=block]", "math:not([display=block])"):
        block = page.locator(selector).first
        block.scroll_into_view_if_needed()
        scroller = block.evaluate_handle(
            "(el) => { for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e);"
            " if (['auto', 'scroll'].includes(s.overflowX)) return e; } return null; }"
        )
        assert scroller.evaluate("(e) => e !== null && e.scrollWidth > e.clientWidth"), selector  # it scrolls itself
        assert scroller.evaluate("(e) => e.classList.contains('scrolls')"), selector  # and shows that it does:
        assert scroller.evaluate("(e) => getComputedStyle(e).boxShadow") != "none"  # a shadow on the hidden side
        assert scroller.evaluate("(e) => e.nextElementSibling.matches('.scroll-hint')")  # and a note under it
    context.close()

    # The exam page too, with the wide code in the stem.
    fresh = UserFactory()
    context, page = page_for(browser, live_server, fresh, PHONE)
    page.goto(f"{live_server.url}/exams/{form.slug}/")
    page.click("text=試験を開始する")
    page.wait_for_selector(".exam-q.current")
    for n in range(1, 25):
        page.goto(f"{page.url.split('#')[0]}#q{n}")
        page.wait_for_selector(f"#q{n}.current")
        assert page_width(page) <= PHONE["width"], f"question {n}"
    context.close()


# --- 2. Start pages: boxes beside their labels, the area tree collapsible, parents select their children --------


def beside(page, input_locator) -> bool:
    """The box sits on the same line as its label's text, just before it."""
    label = input_locator.locator("xpath=ancestor::label[1]")
    box_, text = input_locator.bounding_box(), label.bounding_box()
    return box_["width"] < 40 and text["x"] <= box_["x"] < text["x"] + 40 and abs(box_["y"] - text["y"]) < 30


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_drill_page_is_a_compact_area_tree(browser, live_server, candidate, walk, viewport):
    _, drill = walk
    context, page = page_for(browser, live_server, candidate, viewport)
    page.goto(f"{live_server.url}/exams/{drill.slug}/")
    assert page.locator("fieldset legend", has_text="出題する分野").count() == 1
    g4 = page.locator("input[name=areas][value=G4]")
    assert beside(page, g4)
    assert page.evaluate("() => document.documentElement.scrollHeight") < 2500  # children folded: not ~6,000 px
    # A parent selects its children; one child less leaves the parent half-checked.
    g4.check()
    page.click("[aria-controls=area-children-G4]")
    children = page.locator("[data-parent-code=G4] input[name=areas]")
    assert children.count() == 6 and all(children.nth(k).is_checked() for k in range(6))
    assert beside(page, children.first)
    children.first.uncheck()
    assert not g4.is_checked() and g4.evaluate("(el) => el.indeterminate")
    # Select all, then start: the drill has questions from the chosen areas only.
    page.check("input[data-select-all]")
    assert all(b.is_checked() for b in page.locator("input[name=areas]").all())
    page.uncheck("input[data-select-all]")
    page.locator("input[name=areas][value=G3]").check()
    page.fill("input[name=count]", "4")
    page.click("text=試験を開始する")
    page.wait_for_selector(".exam-q.current")
    attempt = Attempt.objects.get(user=candidate)
    assert set(attempt.items.values_list("area__code", flat=True)) == {"G3.4"}
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_framework_choice_is_a_fieldset_of_boxes_beside_their_labels(browser, live_server, candidate, viewport):
    for i in range(4):
        make_question(external_id=f"e-pt-{i}", area="E3.1", framework="pytorch", choices=four(f"PT{i}"))
    exam = Exam.objects.get(code="e_shikaku")
    blueprint = Blueprint.objects.create(
        exam=exam, name="E資格 ミニ", slug="e-mini", minutes=10, question_count=2, requires_framework=True
    )
    BlueprintQuota.objects.create(blueprint=blueprint, area=SyllabusArea.objects.get(code="E3"), count=2)
    context, page = page_for(browser, live_server, candidate, viewport)
    page.goto(f"{live_server.url}/exams/{blueprint.slug}/")
    assert page.locator("fieldset legend", has_text="フレームワーク").count() == 1
    for value in ("pytorch", "tensorflow"):
        assert beside(page, page.locator(f"input[name=framework][value={value}]"))
    context.close()


# --- 3. 「この分野をドリルで復習する」 always starts something, in a learner's words ------------------------------


def test_the_reports_drill_button_starts_a_drill_even_when_its_areas_are_held(browser, live_server, candidate, walk):
    form, _ = walk
    attempt = scored(form, candidate, right=lambda item: not item.area.code.startswith("G6"))
    attempt_start(user=candidate, blueprint=form)  # a second mock, open: it holds every G6 question
    context, page = page_for(browser, live_server, candidate, DESKTOP)
    page.goto(f"{live_server.url}/results/{attempt.pk}/")
    assert "G6" in page.locator("form:has(button:text('この分野をドリルで復習する'))").inner_html()
    page.click("text=この分野をドリルで復習する")
    page.wait_for_selector(".exam-q.current")
    message = page.locator(".messages").inner_text()
    assert "近い分野から" in message and "提出するまで" in message
    assert "問題バンク" not in page.content()
    context.close()


# --- 4. A long result: an answer grid, filters, explanations folded ------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_long_result_has_a_grid_filters_and_folded_explanations(browser, live_server, candidate, walk, viewport):
    form, _ = walk
    attempt = scored(form, candidate)
    missed = attempt.question_count - attempt.correct_count
    context, page = page_for(browser, live_server, candidate, viewport)
    page.goto(f"{live_server.url}/results/{attempt.pk}/")
    assert page.locator(".answer-grid a.grid-cell").count() == 24
    explanations = page.locator(".review-item details.explanation")
    assert explanations.count() == 24 and not explanations.first.evaluate("(d) => d.open")
    folded_height = page.evaluate("() => document.documentElement.scrollHeight")

    page.locator(".answer-grid a.grid-cell[data-n='17']").click()
    heading = page.locator("#q17 h3")
    top = heading.bounding_box()["y"]
    assert 0 <= top < viewport["height"] / 2  # the grid took us to question 17

    page.check("input[name=review-show][value=missed]")
    assert page.locator(".review-item:visible").count() == missed
    assert all(
        r in ("wrong", "blank")
        for r in page.locator(".review-item:visible").evaluate_all("(els) => els.map((e) => e.dataset.result)")
    )
    page.check("input[name=review-show][value=flagged]")
    assert page.locator(".review-item:visible").count() == attempt.items.filter(flagged=True).count()
    page.check("input[name=review-show][value=all]")
    page.select_option("select[name=review-area]", "G6")
    assert page.locator(".review-item:visible").count() == 4

    page.select_option("select[name=review-area]", "")
    page.click("[data-action=open-explanations]")
    assert all(explanations.evaluate_all("(ds) => ds.map((d) => d.open)"))
    assert page.evaluate("() => document.documentElement.scrollHeight") > folded_height
    context.close()


# --- 7. Chart labels never cut to the same text -------------------------------------------------------------------


def test_the_radar_labels_are_distinct_codes_with_full_names(browser, live_server, candidate, walk):
    form, _ = walk
    attempt = scored(form, candidate)
    context, page = page_for(browser, live_server, candidate, DESKTOP)
    page.goto(f"{live_server.url}/results/{attempt.pk}/")
    labels = page.locator("svg.chart-radar .chart-label").evaluate_all(
        "(els) => els.map((e) => e.firstChild.textContent)"
    )
    assert sorted(labels) == ["G3", "G4", "G5", "G6"] and not any("…" in label for label in labels)
    assert "G4 ディープラーニングの概要" in page.locator("table").first.inner_text()
    context.close()


# --- 9. Select-all questions: all-or-nothing said on the page, the options' shares shown ----------------------------


def test_select_all_questions_say_how_they_are_scored(browser, live_server, candidate, walk):
    form, _ = walk
    attempt = scored(form, candidate)
    context, page = page_for(browser, live_server, candidate, DESKTOP)
    page.goto(f"{live_server.url}/exams/{form.slug}/")  # a new attempt shows the rule before answering
    page.click("text=試験を開始する")
    page.wait_for_selector(".exam-q.current")
    legends = page.locator(".exam-q .question[data-kind=multiple] legend.kind-note").all_inner_texts()
    assert legends and all("部分点なし" in text for text in legends)
    page.goto(f"{live_server.url}/results/{attempt.pk}/")
    multiple = page.locator(".review-item:has(.scoring-note)")
    assert multiple.count() == 6
    assert "誤りを1つも選ばないときだけ正解" in multiple.first.inner_text()
    context.close()


# --- 10. The pace line says plainly where the candidate should be by now -------------------------------------------


def test_the_pace_line_counts_answers_rather_than_naming_a_question(browser, live_server, candidate, walk):
    form, _ = walk
    attempt = attempt_start(user=candidate, blueprint=form)
    context, page = page_for(browser, live_server, candidate, DESKTOP)
    page.goto(f"{live_server.url}/exams/attempts/{attempt.pk}/")
    page.wait_for_selector(".exam-q.current")
    expect(page.locator("#pace")).to_have_text("目安は1問75秒")  # 30 minutes for 24 questions
    # Ten minutes in, with nothing answered: an even pace would have answered 8.
    ten_minutes = timedelta(minutes=10)
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=attempt.started_at - ten_minutes, deadline=attempt.deadline - ten_minutes
    )
    page.reload()
    page.wait_for_selector(".exam-q.current")
    page.locator(".exam-q.current .choice").first.click()
    page.wait_for_selector("#save-status[data-state=saved]")
    expect(page.locator("#pace")).to_have_text("均等なペースなら今ごろ8問解答済み · あなた1問（7問遅れ）")
    context.close()


# --- 11. A drill can be stopped and discarded, after a confirmation; a full mock cannot ------------------------


def test_a_drill_is_abandoned_after_confirming_and_a_full_mock_offers_no_such_thing(
    browser, live_server, candidate, walk
):
    form, drill = walk
    context, page = page_for(browser, live_server, candidate, PHONE)
    page.goto(f"{live_server.url}/exams/{drill.slug}/")
    page.locator("input[name=areas][value=G4]").check()
    page.click("text=試験を開始する")
    page.wait_for_selector(".exam-q.current")
    page.locator(".exam-q.current .choice").first.click()
    page.wait_for_selector("#save-status[data-state=saved]")
    page.click("text=中断して破棄")
    assert "解答した1問も含めて" in page.locator("main").inner_text()
    page.click("text=ドリルに戻る")  # changed my mind: nothing happened
    page.wait_for_selector(".exam-q.current")
    drill_attempt = Attempt.objects.get(user=candidate, blueprint=drill)
    assert drill_attempt.status == Attempt.Status.OPEN
    page.click("text=中断して破棄")
    page.click("button:text('破棄する')")
    assert "ドリルを破棄しました" in page.locator(".messages").inner_text()
    drill_attempt.refresh_from_db()
    assert drill_attempt.status == Attempt.Status.ABANDONED
    page.goto(f"{live_server.url}/results/{drill_attempt.pk}/")  # no result to show: the exam list
    assert page.url.endswith("/exams/")

    page.goto(f"{live_server.url}/exams/{form.slug}/")
    page.click("text=試験を開始する")
    page.wait_for_selector(".exam-q.current")
    assert page.locator("text=中断して破棄").count() == 0
    context.close()


# --- 12. The review screen scales: submit at once, a compact grid by state ---------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_review_screen_puts_submit_first_and_questions_in_a_compact_grid(
    browser, live_server, candidate, walk, viewport
):
    form, _ = walk
    context, page = page_for(browser, live_server, candidate, viewport)
    page.goto(f"{live_server.url}/exams/{form.slug}/")
    page.click("text=試験を開始する")
    page.wait_for_selector(".exam-q.current")
    for _n in range(3):  # answer three, flag the second
        page.locator(".exam-q.current .choice").first.click()
        page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("f")
    page.wait_for_selector("#save-status[data-state=saved]")
    page.click("[data-action=review]")
    submit = page.locator("#submit-form button[type=submit]").bounding_box()
    assert submit["y"] + submit["height"] <= viewport["height"]  # reachable without scrolling
    cells = page.locator(".review-cell")
    assert cells.count() == 24
    assert page.locator(".review-cell.answered").count() == 3 and page.locator(".review-cell.flagged").count() == 1
    first, last = cells.first.bounding_box(), cells.last.bounding_box()
    assert first["height"] < 50 and last["y"] - first["y"] < 400  # a grid, not a wall of 24 lines
    page.check("input[name=review-show][value=unanswered]")
    assert page.locator(".review-cell:visible").count() == 21
    page.locator(".review-cell:visible", has_text="24").click()
    page.wait_for_selector("#q24.current")
    context.close()


# --- axe-core: no critical or serious problems on the pages a candidate walks through --------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_candidates_pages_have_no_serious_accessibility_problems(browser, live_server, candidate, walk, viewport):
    form, drill = walk
    attempt = scored(form, candidate)
    open_drill = attempt_start(user=candidate, blueprint=drill, drill_areas=["G5"], drill_count=3)
    context, page = page_for(browser, live_server, candidate, viewport, bypass_csp=True)
    problems = {}
    for path in (
        "/",
        "/exams/",
        f"/exams/{form.slug}/",
        f"/exams/{drill.slug}/",
        f"/results/{attempt.pk}/",
        "/results/",
        f"/exams/attempts/{open_drill.pk}/abandon",
        f"/exams/attempts/{open_drill.pk}/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        problems[path] = accessibility_problems(page)
    page.click("[data-action=review]")  # the exam's review screen
    problems["review"] = accessibility_problems(page)
    page.goto(f"{live_server.url}/results/{attempt.pk}/")
    page.click("[data-action=open-explanations]")
    problems["explanations open"] = accessibility_problems(page)
    context.close()
    assert {path: found for path, found in problems.items() if found} == {}
