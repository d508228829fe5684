import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questions.models import Question
from tests.factories import UserFactory, make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    user = UserFactory(is_staff=True, email="reviewer@moshi.example")
    user.groups.add(Group.objects.get(name="Question reviewers"))
    return user


@pytest.fixture
def author():
    user = UserFactory(is_staff=True, email="author@moshi.example")
    user.groups.add(Group.objects.get(name="Question authors"))
    return user


def make_bank(n):
    for i in range(n):
        make_question(
            external_id=f"adm-{i:03d}",
            area=["G4.2", "G3.4", "E3.1"][i % 3],
            stem=f"問題{i}です。\n\n```python\nx = {i}\n```",
            choices=[(f"正解{i}", True), (f"誤り{i}a", False), (f"誤り{i}b", False), (f"誤り{i}c", False)],
        )
    return Question.objects.order_by("pk").first()


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_for",
    [
        lambda q: reverse("admin:questions_question_changelist"),
        lambda q: reverse("admin:questions_question_change", args=[q.pk]),
        lambda q: reverse("admin:questions_question_preview", args=[q.pk]),
        lambda q: reverse("admin:questions_question_history_diff", args=[q.pk]),
        lambda q: reverse("admin:questions_bank_report"),
    ],
    ids=["changelist", "change", "preview", "history", "bank_report"],
)
def test_admin_pages_keep_a_constant_query_count(client, reviewer, url_for, django_assert_max_num_queries):
    client.force_login(reviewer)
    first = make_bank(2)
    with_two = count_queries(client, url_for(first))
    make_bank_more = [make_question(external_id=f"more-{i:03d}", area="G5.2") for i in range(48)]
    assert len(make_bank_more) == 48
    with django_assert_max_num_queries(with_two):
        client.get(url_for(first))


def test_preview_shows_the_question_like_the_exam_screen_with_code_and_formula(client, author):
    client.force_login(author)
    question = make_question(
        external_id="pv-1", stem="$\\sigma(x)$ を実装します。\n\n```python\nimport torch\n```", publish=False
    )
    page = client.get(reverse("admin:questions_question_preview", args=[question.pk])).content.decode()
    assert 'class="question"' in page and "<math" in page and '<div class="highlight">' in page


def test_author_drafts_and_sends_for_review_but_only_a_reviewer_publishes(client, author, reviewer):
    question = make_question(external_id="wf-1", publish=False)
    changelist = reverse("admin:questions_question_changelist")

    client.force_login(author)
    page = client.get(changelist).content.decode()
    assert 'value="submit_for_review"' in page and 'value="publish"' not in page
    client.post(changelist, {"action": "submit_for_review", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.status == Question.Status.IN_REVIEW
    client.post(changelist, {"action": "publish", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.status == Question.Status.IN_REVIEW  # refused

    client.force_login(reviewer)
    client.post(changelist, {"action": "publish", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.status == Question.Status.PUBLISHED and question.published_version.published_by == reviewer


def test_admin_form_refuses_two_correct_answers_on_a_single_answer_question(client, author):
    from questions.models import SyllabusArea

    client.force_login(author)
    area = SyllabusArea.objects.get(code="G4.2")
    data = {
        "external_id": "form-1",
        "exam": area.exam_id,
        "area": area.pk,
        "kind": "single",
        "stem": "問題",
        "explanation": "解説",
        "difficulty": 3,
        "framework": "common",
        "keywords": "[]",
        "choices-TOTAL_FORMS": 2,
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 2,
        "choices-MAX_NUM_FORMS": 1000,
        "choices-0-order": 0,
        "choices-0-text": "A",
        "choices-0-is_correct": "on",
        "choices-1-order": 1,
        "choices-1-text": "B",
        "choices-1-is_correct": "on",
    }
    response = client.post(reverse("admin:questions_question_add"), data)
    assert response.status_code == 200
    assert "正解がちょうど1つ必要です" in response.content.decode()
    assert not Question.objects.exists()

    data["choices-1-is_correct"] = ""
    response = client.post(reverse("admin:questions_question_add"), data)
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.status == Question.Status.DRAFT and question.created_by == author


def test_editing_a_published_question_in_admin_keeps_the_live_version(client, reviewer):
    question = make_question(external_id="ed-1")
    client.force_login(reviewer)
    choices = list(question.choices.all())
    data = {
        "external_id": "ed-1",
        "exam": question.exam_id,
        "area": question.area_id,
        "kind": "single",
        "stem": "書き換えた問題文",
        "explanation": question.explanation,
        "difficulty": 3,
        "framework": "common",
        "keywords": "[]",
        "choices-TOTAL_FORMS": 3,
        "choices-INITIAL_FORMS": 3,
        "choices-MIN_NUM_FORMS": 2,
        "choices-MAX_NUM_FORMS": 1000,
    }
    for i, c in enumerate(choices):
        data.update(
            {
                f"choices-{i}-id": c.pk,
                f"choices-{i}-question": question.pk,
                f"choices-{i}-order": i,
                f"choices-{i}-text": c.text,
                f"choices-{i}-is_correct": "on" if c.is_correct else "",
            }
        )
    response = client.post(reverse("admin:questions_question_change", args=[question.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert question.status == Question.Status.DRAFT
    assert question.published_version.stem != "書き換えた問題文"
    history = client.get(reverse("admin:questions_question_history_diff", args=[question.pk])).content.decode()
    assert "書き換えた問題文" in history and "<ins>" in history
