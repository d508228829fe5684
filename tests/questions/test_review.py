"""Review with comments and send-back (issue 17 item 5): a reviewer comments on a question in review or sends it
back to its author with a required comment; the question returns to draft and its author reads the comment on the
question's page. Authors can never send back or publish, through any path; every step is in the history."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from questions.models import Question, QuestionEvent
from questions.services import Via, question_comment, question_send_back, question_submit_for_review
from tests.factories import make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(author):
    question = make_question(external_id="rv-001", publish=False)
    Question.objects.filter(pk=question.pk).update(created_by=author)
    question_submit_for_review(question=question, by=author, via=Via.ADMIN_ACTION)
    question.refresh_from_db()
    return question


def review_url(question):
    return reverse("admin:questions_question_review", args=[question.pk])


def change_url(question):
    return reverse("admin:questions_question_change", args=[question.pk])


# --- services -----------------------------------------------------------------------------------------------------


def test_a_reviewer_sends_a_question_back_to_draft_with_the_comment_in_its_history(in_review, reviewer):
    event = question_send_back(question=in_review, by=reviewer, comment="  選択肢3の表記を揃えてください。 ")

    in_review.refresh_from_db()
    assert in_review.status == Question.Status.DRAFT
    assert (event.kind, event.by, event.via, event.note) == (
        QuestionEvent.Kind.SENT_BACK,
        reviewer,
        Via.ADMIN_REVIEW,
        "選択肢3の表記を揃えてください。",
    )
    assert event.at is not None


def test_an_author_cannot_send_back_even_through_the_service(in_review, author):
    with pytest.raises(PermissionDenied):
        question_send_back(question=in_review, by=author, comment="自分で差し戻す")
    in_review.refresh_from_db()
    assert in_review.status == Question.Status.IN_REVIEW
    assert not in_review.events.filter(kind=QuestionEvent.Kind.SENT_BACK).exists()


def test_nobody_sends_back_without_saying_why(in_review, reviewer):
    with pytest.raises(ValidationError, match="差し戻す理由"):
        question_send_back(question=in_review, by=reviewer, comment="   ")
    in_review.refresh_from_db()
    assert in_review.status == Question.Status.IN_REVIEW


@pytest.mark.parametrize("status", [Question.Status.DRAFT, Question.Status.PUBLISHED, Question.Status.RETIRED])
def test_only_a_question_in_review_can_be_sent_back(reviewer, status):
    question = make_question(external_id="rv-002", publish=status != Question.Status.DRAFT)
    Question.objects.filter(pk=question.pk).update(status=status)
    with pytest.raises(ValidationError, match="レビュー中の問題だけ"):
        question_send_back(question=question, by=reviewer, comment="直してください")
    question.refresh_from_db()
    assert question.status == status
    assert not question.events.filter(kind=QuestionEvent.Kind.SENT_BACK).exists()


def test_an_inactive_reviewer_cannot_send_back(in_review, reviewer):
    reviewer.is_active = False
    reviewer.save()
    with pytest.raises(PermissionDenied):
        question_send_back(question=in_review, by=reviewer, comment="直してください")


def test_authors_and_reviewers_comment_but_staff_without_question_rights_do_not(in_review, author, reviewer, bystander):
    question_comment(question=in_review, by=reviewer, comment="図の出典を書いてください。")
    question_comment(question=in_review, by=author, comment="追記しました。")
    with pytest.raises(PermissionDenied):
        question_comment(question=in_review, by=bystander, comment="通りすがり")
    with pytest.raises(ValidationError):
        question_comment(question=in_review, by=reviewer, comment="")
    notes = list(in_review.events.filter(kind=QuestionEvent.Kind.COMMENTED).order_by("pk").values_list("by", "note"))
    assert notes == [(reviewer.pk, "図の出典を書いてください。"), (author.pk, "追記しました。")]
    in_review.refresh_from_db()
    assert in_review.status == Question.Status.IN_REVIEW  # a comment moves nothing


# --- the review form on the question's page -----------------------------------------------------------------------


def test_a_reviewer_sends_back_from_the_questions_page_and_the_author_reads_why_there(
    client, in_review, author, reviewer
):
    client.force_login(reviewer)
    response = client.post(review_url(in_review), {"decision": "send_back", "comment": "解説に根拠の条文を。"})
    assert response.status_code == 302 and response["Location"].endswith(change_url(in_review) + "#review")
    in_review.refresh_from_db()
    assert in_review.status == Question.Status.DRAFT

    client.force_login(author)
    page = client.get(change_url(in_review)).content.decode()
    notice = page[page.index('class="review-sent-back"') : page.index("レビュー欄へ")]  # above the form's fields
    assert "解説に根拠の条文を。" in notice and "査読 太郎" in notice
    # The author may answer and send it back for review, but is offered no send-back or publish button.
    assert 'value="submit"' in page and 'value="comment"' in page
    assert 'value="send_back"' not in page and 'value="publish"' not in page
    history = client.get(reverse("admin:questions_question_history_diff", args=[in_review.pk])).content.decode()
    assert "差し戻し" in history and "解説に根拠の条文を。" in history


def test_the_notice_goes_once_the_author_sends_the_question_for_review_again(client, in_review, author, reviewer):
    question_send_back(question=in_review, by=reviewer, comment="用語を統一してください。")
    client.force_login(author)
    assert 'class="review-sent-back"' in client.get(change_url(in_review)).content.decode()

    response = client.post(review_url(in_review), {"decision": "submit", "comment": "統一しました。"})
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == Question.Status.IN_REVIEW
    resubmitted = in_review.events.filter(kind=QuestionEvent.Kind.SUBMITTED).latest("pk")
    assert (resubmitted.by, resubmitted.note) == (author, "統一しました。")
    page = client.get(change_url(in_review)).content.decode()
    assert 'class="review-sent-back"' not in page
    assert "用語を統一してください。" in page and "統一しました。" in page  # the thread keeps both


@pytest.mark.parametrize("decision", ["send_back", "publish"])
def test_an_author_posting_a_reviewers_decision_directly_is_refused(client, in_review, author, decision):
    client.force_login(author)
    response = client.post(review_url(in_review), {"decision": decision, "comment": "自分で通します"})
    assert response.status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == Question.Status.IN_REVIEW and in_review.published_version is None
    assert not in_review.events.exclude(kind=QuestionEvent.Kind.SUBMITTED).exists()


def test_a_send_back_without_a_comment_is_refused_with_a_message(client, in_review, reviewer):
    client.force_login(reviewer)
    response = client.post(review_url(in_review), {"decision": "send_back", "comment": ""}, follow=True)
    assert "差し戻す理由をコメントに書いてください" in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.status == Question.Status.IN_REVIEW


def test_a_reviewer_publishes_from_the_questions_page_with_a_closing_comment(client, in_review, reviewer):
    client.force_login(reviewer)
    client.post(review_url(in_review), {"decision": "publish", "comment": "問題ありません。"})
    in_review.refresh_from_db()
    assert in_review.status == Question.Status.PUBLISHED and in_review.published_version.published_by == reviewer
    kinds = list(in_review.events.order_by("pk").values_list("kind", "note"))
    assert kinds[-2:] == [("commented", "問題ありません。"), ("published", "")]


def test_staff_without_question_rights_cannot_use_the_review_form(client, in_review, bystander):
    client.force_login(bystander)
    for decision in ("comment", "submit", "send_back", "publish"):
        assert client.post(review_url(in_review), {"decision": decision, "comment": "x"}).status_code == 403
    assert not in_review.events.exclude(kind=QuestionEvent.Kind.SUBMITTED).exists()


def test_the_review_form_takes_posts_only_and_checks_the_csrf_token(in_review, reviewer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reviewer)
    assert browser.get(review_url(in_review)).status_code == 405
    response = browser.post(review_url(in_review), {"decision": "send_back", "comment": "偽のフォームから"})
    assert response.status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == Question.Status.IN_REVIEW


def test_the_questions_page_keeps_its_query_count_as_the_history_grows(
    client, in_review, reviewer, author, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(reviewer)
    question_comment(question=in_review, by=reviewer, comment="一つ目")
    with CaptureQueriesContext(connection) as two_events:
        assert client.get(change_url(in_review)).status_code == 200
    for i in range(20):
        question_comment(question=in_review, by=author if i % 2 else reviewer, comment=f"コメント{i}")
    with django_assert_max_num_queries(len(two_events.captured_queries)):  # history: one query, by + version joined
        client.get(change_url(in_review))
