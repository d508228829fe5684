"""The start's pool, kept per process: every change to what may be drawn is seen by the very next start, and
what is per person (withheld keys, seen-before order) is never kept in it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exams import pool as exam_pool
from exams import services
from exams.models import Blueprint, BlueprintQuota
from questions.models import Exam, Question, SyllabusArea
from questions.services import question_publish, question_retire
from tests.factories import make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def g_exam():
    return Exam.objects.get(code="g_kentei")


@pytest.fixture
def questions():
    return [make_question(external_id=f"pool-{i}", area="G4.1") for i in range(4)]


def _ids(exam, framework="common") -> set[int]:
    return {c.question_id for c in exam_pool.published_pool(exam_id=exam.pk, framework=framework).candidates}


def test_a_second_start_reuses_the_pool_with_one_small_query(g_exam, questions):
    assert _ids(g_exam) == {q.pk for q in questions}
    with CaptureQueriesContext(connection) as queries:
        again = exam_pool.published_pool(exam_id=g_exam.pk, framework="common")
    assert len(queries) == 1 and "count(*)" in queries[0]["sql"]
    assert {c.question_id for c in again.candidates} == {q.pk for q in questions}


def test_publishing_retiring_and_editing_are_seen_by_the_next_start(g_exam, questions):
    assert _ids(g_exam) == {q.pk for q in questions}
    new = make_question(external_id="pool-new", area="G4.2")
    assert new.pk in _ids(g_exam)  # published after the pool was read
    question_retire(question=questions[0], by=None, via="command")
    assert questions[0].pk not in _ids(g_exam)  # retired (a wrong key, say): never drawn again, at once
    question = Question.objects.get(pk=questions[1].pk)
    question.area = SyllabusArea.objects.get(code="G4.2")
    question.save()  # an author moves a live question to another area
    moved = exam_pool.published_pool(exam_id=g_exam.pk, framework="common")
    assert next(c for c in moved.candidates if c.question_id == question.pk).area_code == "G4.2"
    question.stem = "改訂した問題文"
    question.save()
    version = question_publish(question=question, by=None, via="command")  # a corrected version goes live
    assert version.pk in exam_pool.published_pool(exam_id=g_exam.pk, framework="common").published_at


def test_frameworks_get_their_own_pools():
    e_exam = Exam.objects.get(code="e_shikaku")
    area = SyllabusArea.objects.filter(exam=e_exam, children__isnull=True).first().code
    common = make_question(external_id="pool-e-common", area=area)
    torch = make_question(external_id="pool-e-torch", area=area, framework="pytorch")
    flow = make_question(external_id="pool-e-tf", area=area, framework="tensorflow")
    assert _ids(e_exam, "pytorch") == {common.pk, torch.pk}
    assert _ids(e_exam, "tensorflow") == {common.pk, flow.pk}
    assert flow.pk not in _ids(e_exam, "pytorch")  # asked second: the memo is per framework


def _blueprint(exam, slug: str, count: int) -> Blueprint:
    blueprint = Blueprint.objects.create(exam=exam, name=slug, slug=slug, minutes=10, question_count=count)
    BlueprintQuota.objects.create(blueprint=blueprint, area=SyllabusArea.objects.get(code="G4"), count=count)
    return blueprint


def test_what_one_person_may_not_be_given_is_applied_per_start(g_exam, questions, django_user_model):
    first = django_user_model.objects.create_user(email="pool1@example.com", password="x")
    second = django_user_model.objects.create_user(email="pool2@example.com", password="x")
    a, b, c = _blueprint(g_exam, "pool-a", 2), _blueprint(g_exam, "pool-b", 2), _blueprint(g_exam, "pool-c", 1)
    held = services.attempt_start(user=first, blueprint=a)  # open: its two questions are withheld from first
    other = services.attempt_start(user=first, blueprint=b)
    assert not set(held.items.values_list("version__question_id", flat=True)) & set(
        other.items.values_list("version__question_id", flat=True)
    )
    with pytest.raises(services.BankTooSmall):  # all four are held by first's open attempts
        services.attempt_start(user=first, blueprint=c)
    # The shared pool still holds all four: what was withheld from first is not withheld from second.
    assert _ids(g_exam) == {q.pk for q in questions}
    assert services.attempt_start(user=second, blueprint=a).question_count == 2
