"""Writing questions in Django admin, in a real Chromium, as an author and a reviewer (issue 17 items 1–6):
keyword chips, the area list of the chosen exam, four choice rows, the preview before saving, review comments
with send-back, and item statistics an author can read."""

import importlib

import pytest
from django.contrib.auth.models import Group, Permission

from analytics.models import ItemStat
from questions.models import Question, QuestionEvent, SyllabusArea
from questions.services import Via, question_submit_for_review
from tests.browser.conftest import DESKTOP, log_in
from tests.factories import UserFactory, make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def question_group(name: str) -> Group:
    """The group the migrations create. A transactional test flushes the database after it ran, and a flush does
    not re-run data migrations, so build the group again from the migration's own permission list."""
    grants = importlib.import_module("questions.migrations.0002_author_permissions")
    codenames = grants.REVIEWER_PERMS if name == "Question reviewers" else grants.AUTHOR_PERMS
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="questions", codename__in=codenames))
    return group


@pytest.fixture
def author():
    user = UserFactory(is_staff=True, email="author@moshi.example", display_name="著者 花子")
    user.groups.add(question_group("Question authors"))
    return user


@pytest.fixture
def reviewer():
    user = UserFactory(is_staff=True, email="reviewer@moshi.example", display_name="査読 太郎")
    user.groups.add(question_group("Question reviewers"))
    return user


CHOICES = ["max(0, x) を出力する", "0から1の値を出力する", "-1から1の値を出力する", "常に0を出力する"]
COLUMNS = ["問題（外部ID・問題文）", "版", "解答数", "正答率", "識別力", "要確認", "集計日時"]


def open_add_form(browser, live_server, user, **options):
    context, page = log_in(browser, live_server, user, viewport=DESKTOP, **options)
    page.goto(f"{live_server.url}/admin/questions/question/add/")
    page.wait_for_selector("#question_form")
    return context, page


def fill_question(page, *, external_id="auth-001", area="G4.2", stem="ReLU関数の出力として正しいものはどれですか。"):
    area = SyllabusArea.objects.select_related("exam").get(code=area)
    page.fill("#id_external_id", external_id)
    page.select_option("#id_exam", str(area.exam_id))
    page.select_option("#id_area", str(area.pk))
    page.fill("#id_stem", stem)
    page.fill("#id_explanation", "ReLUは max(0, x) を出力します。")
    for n, text in enumerate(
        ["max(0, x) を出力する", "0から1の値を出力する", "-1から1の値を出力する", "常に0を出力する"]
    ):
        page.fill(f"#id_choices-{n}-text", text)
    page.check("#id_choices-0-is_correct")


def save(page):
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")


# --- 1. keywords as chips ---------------------------------------------------------------------------------------------


def test_keywords_are_typed_as_chips_removed_with_x_and_saved_as_a_list(browser, live_server, author):
    context, page = open_add_form(browser, live_server, author)
    fill_question(page)
    chips = page.locator(".keyword-chip > span")

    # The field's own label now names the box an author types into.
    page.click("label[for=id_keywords]")
    page.keyboard.type("ReLU")
    page.keyboard.press("Enter")
    page.keyboard.type("活性化関数、勾配消失,")
    page.keyboard.type("スパース")
    assert chips.all_inner_texts() == ["ReLU", "活性化関数", "勾配消失"]
    assert page.input_value("#id_keywords") == "スパース"  # still being typed
    assert page.locator("#question_form").evaluate("f => f.elements.keywords.value") == "ReLU, 活性化関数, 勾配消失"

    # × removes a chip; leaving the box keeps what was being typed as a keyword.
    page.click("button[aria-label='キーワード「活性化関数」を削除']")
    assert chips.all_inner_texts() == ["ReLU", "勾配消失", "スパース"]
    page.focus("#id_keywords")
    page.keyboard.press("Backspace")  # on an empty box, removes the last chip
    assert chips.all_inner_texts() == ["ReLU", "勾配消失"]

    # The syllabus keywords of the chosen area are one click away.
    suggestion = page.locator(".keyword-suggestion").first
    offered = suggestion.get_attribute("data-keyword")
    suggestion.click()
    assert chips.all_inner_texts() == ["ReLU", "勾配消失", offered]
    assert page.locator(f".keyword-suggestion[data-keyword='{offered}']").count() == 0

    page.fill("#id_keywords", "ドロップアウト")  # typed but not confirmed: kept on save
    save(page)
    assert Question.objects.get(external_id="auth-001").keywords == ["ReLU", "勾配消失", offered, "ドロップアウト"]
    context.close()


def test_keywords_work_as_comma_separated_text_without_javascript(browser, live_server, author):
    context, page = open_add_form(browser, live_server, author, java_script_enabled=False)
    fill_question(page)
    assert page.locator(".keyword-chip").count() == 0
    page.fill("#id_keywords", "ReLU、活性化関数, ReLU")
    save(page)
    question = Question.objects.get(external_id="auth-001")
    assert question.keywords == ["ReLU", "活性化関数"]
    page.goto(f"{live_server.url}/admin/questions/question/{question.pk}/change/")
    assert page.input_value("#id_keywords") == "ReLU, 活性化関数"
    context.close()


# --- 2. the area list follows the exam --------------------------------------------------------------------------------


def area_codes(page):
    return [label.split(" ")[0] for label in page.locator("#id_area option:not([value=''])").all_inner_texts()]


def test_the_area_list_shows_only_the_chosen_exams_areas(browser, live_server, author):
    context, page = open_add_form(browser, live_server, author)
    leaves = {
        code: list(SyllabusArea.objects.filter(exam__code=code, is_leaf=True).values_list("code", flat=True))
        for code in ("g_kentei", "e_shikaku", "genai_test")
    }
    exams = dict(SyllabusArea.objects.filter(is_leaf=True).values_list("exam__code", "exam_id").distinct())

    page.select_option("#id_exam", str(exams["e_shikaku"]))
    assert area_codes(page) == leaves["e_shikaku"]
    page.select_option("#id_area", page.locator("#id_area option:not([value=''])").first.get_attribute("value"))

    # Another exam: its areas only, and the area chosen for the first exam is cleared, with a word why.
    page.select_option("#id_exam", str(exams["genai_test"]))
    assert area_codes(page) == leaves["genai_test"]
    assert page.input_value("#id_area") == ""
    assert "分野を選び直してください" in page.locator("[aria-live]", has_text="分野").inner_text()

    # No exam yet: every exam's areas, grouped; choosing an area chooses its exam.
    page.select_option("#id_exam", "")
    assert len(area_codes(page)) == sum(len(codes) for codes in leaves.values())
    g42 = SyllabusArea.objects.get(code="G4.2")
    page.select_option("#id_area", str(g42.pk))
    assert page.input_value("#id_exam") == str(g42.exam_id)
    assert area_codes(page) == leaves["g_kentei"]
    context.close()


# --- 3. four choice rows ---------------------------------------------------------------------------------------------


def test_a_new_question_has_four_choice_rows_and_added_rows_are_named(browser, live_server, author):
    context, page = open_add_form(browser, live_server, author)
    rows = page.locator("#choices-group tr.form-row:not(.empty-form)")
    assert rows.count() == 4
    assert page.get_attribute("#id_choices-3-text", "aria-label") == "選択肢4: 選択肢（Markdown）"

    page.click("#choices-group .add-row a")
    assert rows.count() == 5
    assert page.get_attribute("#id_choices-4-text", "aria-label") == "選択肢5: 選択肢（Markdown）"

    fill_question(page)
    page.fill("#id_choices-3-text", "")  # three choices are fine too; the empty rows are ignored
    save(page)
    assert Question.objects.get(external_id="auth-001").choices.count() == 3
    context.close()


# --- 4. preview before saving --------------------------------------------------------------------------------------


def test_the_preview_shows_the_unsaved_form_as_the_exam_screen_and_saves_nothing(browser, live_server, author):
    context, page = open_add_form(browser, live_server, author)
    fill_question(page, stem="次のコードの出力はどれですか。\n\n```python\nprint(max(0, -3))\n```")

    with context.expect_page() as opened:
        page.click("button.preview-button")
    preview = opened.value
    preview.wait_for_selector(".exam-preview article.question")
    assert "次のコードの出力はどれですか。" in preview.inner_text(".exam-preview .stem")
    assert preview.locator(".exam-preview .stem .highlight").count() == 1
    assert preview.locator(".exam-preview .choice").all_inner_texts()[0].endswith("max(0, x) を出力する")
    assert preview.locator(".exam-preview .choice").count() == 4
    assert preview.inner_text(".preview-keys") == "max(0, x) を出力する"
    assert not Question.objects.exists()

    # The form keeps everything typed; previewing again refreshes the same preview window.
    page.fill("#id_stem", "書き直した問題文です。")
    page.click("button.preview-button")
    preview.wait_for_selector(".exam-preview .stem:has-text('書き直した問題文です。')")
    assert len(context.pages) == 2
    assert page.input_value("#id_choices-2-text") == "-1から1の値を出力する"
    assert not Question.objects.exists()
    context.close()


# --- 5. review: comments and send-back -----------------------------------------------------------------------------


def test_a_reviewer_sends_a_question_back_and_its_author_reads_why_on_its_page(browser, live_server, author, reviewer):
    question = make_question(external_id="rev-001", publish=False)
    question_submit_for_review(question=question, by=author, via=Via.ADMIN_ACTION)
    change = f"{live_server.url}/admin/questions/question/{question.pk}/change/"

    reviewing, page = log_in(browser, live_server, reviewer, viewport=DESKTOP)
    page.goto(change)
    page.fill("#review-comment", "選択肢2と3の文末を揃えてください。")
    page.click("button[value=send_back]")
    page.wait_for_selector(".messagelist .success")
    question.refresh_from_db()
    assert question.status == Question.Status.DRAFT
    event = question.events.get(kind=QuestionEvent.Kind.SENT_BACK)
    assert (event.by, event.note) == (reviewer, "選択肢2と3の文末を揃えてください。")
    reviewing.close()

    authoring, page = log_in(browser, live_server, author, viewport=DESKTOP)
    page.goto(change)
    notice = page.locator(".review-sent-back")
    assert notice.is_visible() and notice.bounding_box()["y"] < page.locator("#id_stem").bounding_box()["y"]
    assert "選択肢2と3の文末を揃えてください。" in notice.inner_text() and "査読 太郎" in notice.inner_text()
    assert page.locator("button[value=send_back], button[value=publish]").count() == 0

    # The author answers and sends it for review again; the notice goes, the thread stays.
    page.fill("#review-comment", "揃えました。")
    page.click("button[value=submit]")
    page.wait_for_selector(".messagelist .success")
    question.refresh_from_db()
    assert question.status == Question.Status.IN_REVIEW
    assert page.locator(".review-sent-back").count() == 0
    thread = page.locator(".review-thread").inner_text()
    assert thread.index("選択肢2と3の文末を揃えてください。") < thread.index("揃えました。")
    authoring.close()


# --- 6. item statistics ---------------------------------------------------------------------------------------------


def test_item_statistics_are_formatted_and_explained(browser, live_server):
    analyst = UserFactory(is_staff=True, is_superuser=True, email="analyst@moshi.example")
    question = make_question(external_id="stat-001", stem="過学習を防ぐ手法として適切なものはどれですか。")
    ItemStat.objects.create(
        version=question.published_version,
        responses=56,
        correct=34,
        facility=0.6071428571428571,
        discrimination=0.0456789,
        flags=["low_discrimination", "too_hard"],
    )
    context, page = log_in(browser, live_server, analyst, viewport=DESKTOP)
    page.goto(f"{live_server.url}/admin/analytics/itemstat/")
    row = page.locator("#result_list tbody tr").first
    assert row.locator("td.field-facility_rate").inner_text() == "61%"
    assert row.locator("td.field-discrimination_index").inner_text() == "0.05"
    assert row.locator("td.field-flag_labels").inner_text() == "識別力がほぼ0、ほぼ全員不正解"
    assert row.locator("td.field-question a").inner_text() == "stat-001"
    assert "過学習を防ぐ手法" in row.locator("td.field-question").inner_text()
    headers = page.locator("#result_list thead th:not(.action-checkbox-column)").all_inner_texts()
    assert [h.strip() for h in headers] == [
        "問題（外部ID・問題文）",
        "版",
        "解答数",
        "正答率",
        "識別力",
        "要確認",
        "集計日時",
    ]

    glossary = page.locator("details.stat-glossary")
    assert not glossary.locator("dd").first.is_visible()
    glossary.locator("summary").click()
    assert "正解した人の割合" in glossary.inner_text() and "模試全体の得点との相関" in glossary.inner_text()

    # The question's page: the same figures and the same explanation next to the question.
    row.locator("td.field-question a").click()
    panel = page.locator(".stat-table")
    assert "61%" in panel.inner_text() and "0.05" in panel.inner_text() and "0.6071" not in panel.inner_text()
    assert page.locator(".field-statistics_panel details.stat-glossary").count() == 1
    context.close()
