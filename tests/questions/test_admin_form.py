"""The question form in admin, as plain HTTP (what the form does without its script; issue 17 items 1–4 and 6):
keywords as comma-separated text, areas checked against the exam on the server, four choice rows on a new
question, the preview of unsaved content, and item statistics as authors read them."""

import re

import pytest
from django.urls import reverse

from analytics.models import ItemStat
from questions.forms import keywords_from_text
from questions.models import Question, SyllabusArea
from tests.factories import make_question

pytestmark = pytest.mark.django_db

ADD = "admin:questions_question_add"


def form_data(area_code="G4.2", exam_code=None, **overrides):
    area = SyllabusArea.objects.select_related("exam").get(code=area_code)
    exam_id = area.exam_id if exam_code is None else area.exam.__class__.objects.get(code=exam_code).pk
    data = {
        "external_id": "form-001",
        "exam": exam_id,
        "area": area.pk,
        "kind": "single",
        "stem": "活性化関数ReLUの出力として正しいものはどれですか。",
        "explanation": "ReLUは max(0, x) です。",
        "difficulty": 3,
        "framework": "common",
        "keywords": "",
        "choices-TOTAL_FORMS": 4,
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 2,
        "choices-MAX_NUM_FORMS": 1000,
    }
    for i, (text, correct) in enumerate([("max(0, x)", True), ("1/(1+e^-x)", False), ("tanh(x)", False), ("x", False)]):
        data |= {f"choices-{i}-order": i, f"choices-{i}-text": text, f"choices-{i}-is_correct": "on" if correct else ""}
    return data | overrides


# --- 1. keywords ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ReLU、活性化関数, ReLU", ["ReLU", "活性化関数"]),
        (" 勾配消失問題 ，  Leaky   ReLU\n", ["勾配消失問題", "Leaky ReLU"]),
        ('["ReLU", "活性化関数"]', ["ReLU", "活性化関数"]),  # what the field used to hold
        ("[]", []),
        ("", []),
        ("[ReLU]", ["[ReLU]"]),  # not JSON: taken as typed
    ],
)
def test_keywords_are_read_from_what_an_author_types(typed, stored):
    assert keywords_from_text(typed) == stored


def test_keywords_typed_apart_by_commas_are_saved_as_a_list_and_shown_back_as_text(client, author):
    client.force_login(author)
    response = client.post(reverse(ADD), form_data(keywords="ReLU、活性化関数,勾配消失問題"))
    assert response.status_code == 302, response.content.decode()[:3000]
    question = Question.objects.get(external_id="form-001")
    assert question.keywords == ["ReLU", "活性化関数", "勾配消失問題"]
    page = client.get(reverse("admin:questions_question_change", args=[question.pk])).content.decode()
    field = re.search(r'<input[^>]+name="keywords"[^>]*>', page).group(0)
    assert 'value="ReLU, 活性化関数, 勾配消失問題"' in field and "data-keyword-input" in field


# --- 2. areas of the chosen exam ----------------------------------------------------------------------------------


def test_an_area_of_another_exam_is_refused_with_a_clear_message(client, author):
    client.force_login(author)
    response = client.post(reverse(ADD), form_data(area_code="G4.2", exam_code="e_shikaku"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    area = SyllabusArea.objects.get(code="G4.2")
    assert errors["area"] == [f"分野「{area}」はG検定の分野です。E資格の分野を選んでください。"]
    assert not Question.objects.exists()


def test_a_parent_area_is_refused_even_when_posted_directly(client, author):
    client.force_login(author)
    parent = SyllabusArea.objects.get(code="G4")
    response = client.post(reverse(ADD), form_data() | {"area": parent.pk})
    assert response.status_code == 200 and "area" in response.context["adminform"].form.errors
    assert not Question.objects.exists()


def test_every_area_option_says_its_exam_and_areas_are_grouped_by_exam(client, author):
    client.force_login(author)
    page = client.get(reverse(ADD)).content.decode()
    select = page[page.index('<select name="area"') : page.index("</select>", page.index('<select name="area"'))]
    options = re.findall(r'<option value="(\d+)"[^>]*data-exam="(\d+)"', select)
    leaves = {str(a.pk): str(a.exam_id) for a in SyllabusArea.objects.filter(is_leaf=True)}
    assert dict(options) == leaves
    assert '<optgroup label="G検定｜G4 ' in select and '<optgroup label="E資格｜E1 ' in select


# --- 3. four choice rows ----------------------------------------------------------------------------------------------


def test_a_new_question_offers_four_choice_rows_and_saves_with_three(client, author):
    client.force_login(author)
    page = client.get(reverse(ADD)).content.decode()
    rows = set(re.findall(r'name="choices-(\d+)-text"', page))
    assert rows == {"0", "1", "2", "3"}
    assert 'aria-label="選択肢4: 選択肢（Markdown）"' in page

    data = form_data() | {"choices-3-text": "", "choices-3-is_correct": "", "choices-3-order": 0}  # left untouched
    assert client.post(reverse(ADD), data).status_code == 302
    assert Question.objects.get().choices.count() == 3


def test_an_existing_question_shows_its_own_choices_without_empty_rows(client, author):
    question = make_question(external_id="ex-001", publish=False)  # three choices
    client.force_login(author)
    page = client.get(reverse("admin:questions_question_change", args=[question.pk])).content.decode()
    assert set(re.findall(r'name="choices-(\d+)-text"', page)) == {"0", "1", "2"}


# --- 4. preview before save ---------------------------------------------------------------------------------------


def test_the_preview_shows_unsaved_content_as_the_exam_screen_does_and_saves_nothing(client, author):
    client.force_login(author)
    data = form_data(stem="次のコードの出力は。\n\n```python\nprint(max(0, -1))\n```")
    response = client.post(reverse("admin:questions_question_draft_preview"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<article class="question"' in page and '<div class="highlight">' in page
    assert page.count('class="choice"') == 4
    assert "まだ保存していない" in page and "このままでは保存できません" not in page
    assert not Question.objects.exists()


def test_the_preview_of_an_edited_question_leaves_the_saved_question_as_it_was(client, author):
    question = make_question(external_id="ex-002", publish=False)
    client.force_login(author)
    data = form_data(stem="書きかけの新しい問題文", external_id="ex-002")
    url = reverse("admin:questions_question_draft_preview", args=[question.pk])
    page = client.post(url, data).content.decode()
    assert "書きかけの新しい問題文" in page
    question.refresh_from_db()
    assert question.stem != "書きかけの新しい問題文" and question.choices.count() == 3


def test_the_preview_lists_what_would_stop_the_save(client, author):
    client.force_login(author)
    data = form_data(stem="") | {"choices-1-is_correct": "on"}
    page = client.post(reverse("admin:questions_question_draft_preview"), data).content.decode()
    problems = page[page.index("このままでは保存できません") :]
    assert "問題文（Markdown）" in problems and "正解がちょうど1つ必要です" in problems


def test_the_preview_needs_a_post_with_csrf_and_the_right_to_edit(client, author, bystander):
    from django.test import Client

    url = reverse("admin:questions_question_draft_preview")
    client.force_login(bystander)
    assert client.post(url, form_data()).status_code == 403
    client.force_login(author)
    assert client.get(url).status_code == 405
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(author)
    assert forged.post(url, form_data()).status_code == 403


def test_a_question_another_author_may_not_edit_cannot_be_previewed_through_its_address(client, bystander):
    question = make_question(external_id="ex-003", publish=False)
    client.force_login(bystander)
    url = reverse("admin:questions_question_draft_preview", args=[question.pk])
    assert client.post(url, form_data(external_id="ex-003")).status_code == 403


# --- 6. item statistics -----------------------------------------------------------------------------------------------


@pytest.fixture
def statistics():
    stats = []
    for i, area in enumerate(["G4.2", "G3.4", "E3.1"]):
        question = make_question(external_id=f"st-{i:03d}", area=area, stem=f"統計のある問題{i}です。" * 4)
        stats.append(
            ItemStat.objects.create(
                version=question.published_version,
                responses=56,
                correct=34,
                facility=0.6071428571428571,
                discrimination=-0.123456,
                flags=["too_hard", "negative_discrimination"],
            )
        )
    return stats


def test_item_statistics_read_as_percentages_decimals_and_japanese_labels(admin_client, statistics):
    page = admin_client.get(reverse("admin:analytics_itemstat_changelist")).content.decode()
    table = page[page.index('id="result_list"') : page.index("</table>", page.index('id="result_list"'))]
    assert "61%" in table and "-0.12" in table
    assert "0.6071428571428571" not in table and "too_hard" not in table and "-0.123456" not in table
    assert "ほぼ全員不正解、識別力が負" in table
    assert "st-000" in table and "統計のある問題0です。" in table
    headers = re.findall(
        r'<th scope="col" class="[^"]*column-(?!action)[^"]*">.*?<(?:a|span)[^>]*>([^<]+)<', table, re.S
    )
    assert headers == ["問題（外部ID・問題文）", "版", "解答数", "正答率", "識別力", "要確認", "集計日時"]
    assert "数字と「要確認」の読み方" in page and "模試全体の得点との相関" in page


def test_item_statistics_list_keeps_its_query_count(admin_client, statistics, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:analytics_itemstat_changelist")
    with CaptureQueriesContext(connection) as three_rows:
        admin_client.get(url)
    for i in range(20):
        question = make_question(external_id=f"more-{i:03d}", area="G5.2")
        ItemStat.objects.create(version=question.published_version, responses=40, facility=0.5, discrimination=0.3)
    # session, user, the counts, the rows with their versions and questions, the exam filter's choices
    with django_assert_max_num_queries(len(three_rows.captured_queries)):
        admin_client.get(url)
