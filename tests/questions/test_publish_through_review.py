"""Nothing publishes or re-keys a question except a reviewer (or an operator's command), whatever the path;
every publish is recorded with who, when and how (security review, issue 1/8)."""

import io

import pytest
import tablib
from django.contrib.auth.models import Group
from django.urls import reverse

from questions.exporting import FLAT_COLUMNS
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


def flat_csv(**overrides) -> bytes:
    row = {
        "external_id": "live-001",
        "exam": "g_kentei",
        "area": "G3.4",
        "kind": "single",
        "difficulty": 2,
        "framework": "common",
        "keywords": "適合率",
        "stem": "適合率の定義として最も適切なものを1つ選べ。",
        "choice_1": "TP/(TP+FP)",
        "choice_2": "TP/(TP+FN)",
        "choice_3": "TN/(TN+FP)",
        "choice_4": "FP/(FP+TN)",
        "correct": "1",
        "explanation": "適合率は陽性と予測したうち本当に陽性だった割合です。",
        "status": "published",
    } | overrides
    data = tablib.Dataset(headers=FLAT_COLUMNS)
    data.append([row.get(c, "") for c in FLAT_COLUMNS])
    return data.export("csv").encode("utf-8")


def admin_import(client, payload: bytes):
    """The admin's import as a browser does it: upload, then confirm the preview."""
    url = reverse("admin:questions_question_import")
    upload = io.BytesIO(payload)
    upload.name = "bank.csv"
    response = client.post(url, {"import_file": upload, "format": "0", "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    form = response.context.get("confirm_form")
    if form is None:
        return response
    data = {k: v for k, v in form.initial.items()}
    return client.post(reverse("admin:questions_question_process_import"), data)


def test_an_author_import_of_published_rows_creates_drafts_for_review(client, author):
    client.force_login(author)
    response = admin_import(client, flat_csv(external_id="new-001"))
    assert response.status_code in (200, 302)
    question = Question.objects.get(external_id="new-001")
    assert question.published_version is None
    assert question.status == Question.Status.IN_REVIEW


def test_an_author_import_cannot_rekey_a_live_question(client, author):
    live = make_question(
        external_id="live-001",
        area="G3.4",
        choices=[("TP/(TP+FP)", True), ("TP/(TP+FN)", False), ("TN/(TN+FP)", False), ("FP/(FP+TN)", False)],
    )
    client.force_login(author)
    response = admin_import(client, flat_csv(correct="2"))
    assert response.status_code in (200, 302)
    live.refresh_from_db()
    assert live.published_version.number == 1
    assert live.published_version.choices.get(is_correct=True).text == "TP/(TP+FP)"


def test_a_reviewer_import_publishes_and_the_history_says_who_and_how(client, reviewer):
    client.force_login(reviewer)
    response = admin_import(client, flat_csv(external_id="rev-001"))
    assert response.status_code == 302  # confirmed, no 500
    question = Question.objects.get(external_id="rev-001")
    assert question.status == Question.Status.PUBLISHED and question.published_version.published_by == reviewer
    event = question.events.get()
    assert (event.kind, event.via, event.by, event.version) == (
        "published",
        "admin_import",
        reviewer,
        question.published_version,
    )
    page = client.get(reverse("admin:questions_question_history_diff", args=[question.pk])).content.decode()
    assert "reviewer@moshi.example" in page and "管理画面のインポート" in page


def test_the_operators_command_may_publish_and_is_recorded_as_such(tmp_path):
    from django.core.management import call_command

    path = tmp_path / "G3.4.yaml"
    path.write_text(
        "exam: g_kentei\narea: G3.4\nquestions:\n  - id: cmd-001\n    kind: single\n    difficulty: 2\n"
        "    stem: 再現率の定義は。\n    choices:\n      - {text: TP/(TP+FN), correct: true}\n"
        "      - {text: TP/(TP+FP)}\n      - {text: TN/(TN+FP)}\n      - {text: FP/(FP+TN)}\n"
        "    explanation: 再現率は実際に陽性のもののうち陽性と予測できた割合です。\n",
        encoding="utf-8",
    )
    call_command("import_bank", str(path))
    event = Question.objects.get(external_id="cmd-001").events.get()
    assert (event.kind, event.via, event.by) == ("published", "command", None)


def test_an_author_cannot_publish_or_retire_by_a_crafted_bulk_action(client, author):
    draft = make_question(external_id="draft-001", publish=False)
    live = make_question(external_id="live-002")
    client.force_login(author)
    changelist = reverse("admin:questions_question_changelist")
    for action, question in (("publish", draft), ("retire", live)):
        response = client.post(changelist, {"action": action, "_selected_action": [question.pk], "index": 0})
        assert response.status_code in (200, 302, 403)
    draft.refresh_from_db()
    live.refresh_from_db()
    assert draft.published_version is None and draft.status == Question.Status.DRAFT
    assert live.status == Question.Status.PUBLISHED
    assert not draft.events.exists() and not live.events.exclude(by=None).exists()


def test_an_author_cannot_correct_a_key(client, author):
    from exams.models import KeyCorrection

    live = make_question(
        external_id="key-001",
        area="G3.4",
        choices=[("TP/(TP+FP)", True), ("TP/(TP+FN)", False), ("TN/(TN+FP)", False), ("FP/(FP+TN)", False)],
    )
    wrong = live.published_version.choices.get(text="TP/(TP+FN)")
    client.force_login(author)
    url = reverse("admin:exams_keycorrection_add")
    response = client.post(url, {"version": live.published_version.pk, "new_key": [wrong.pk], "reason": "x"})
    assert response.status_code == 403
    assert not KeyCorrection.objects.exists()
    assert live.published_version.choices.get(is_correct=True).text == "TP/(TP+FP)"
