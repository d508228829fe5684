import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from questions.models import Choice, Question, QuestionVersion, VersionChoice
from questions.services import question_after_edit, question_publish, question_retire
from tests.factories import UserFactory, make_question

pytestmark = pytest.mark.django_db


def test_publishing_snapshots_the_working_copy_as_version_1():
    question = make_question(external_id="q-1")
    version = question.published_version
    assert (version.number, question.status) == (1, Question.Status.PUBLISHED)
    assert [c.is_correct for c in version.choices.all()] == [True, False, False]
    assert "<p>" in version.stem_html


def test_editing_a_published_question_drafts_the_next_version_while_the_live_one_stays():
    question = make_question(external_id="q-1")
    v1 = question.published_version

    question.stem = "ReLU関数について、正しいものはどれですか。"
    question.save()
    question_after_edit(question=question)
    question.refresh_from_db()
    assert question.status == Question.Status.DRAFT
    assert question.published_version == v1  # candidates still get v1

    v2 = question_publish(question=question, by=None, via="command")
    question.refresh_from_db()
    assert (v2.number, question.published_version) == (2, v2)
    assert QuestionVersion.objects.get(pk=v1.pk).stem != v2.stem  # v1 kept as it was
    assert list(question.versions.values_list("number", flat=True)) == [1, 2]


def test_publishing_unchanged_content_creates_no_new_version():
    question = make_question(external_id="q-1")
    assert question_publish(question=question, by=None, via="command") == question.published_version
    assert question.versions.count() == 1


def test_published_versions_cannot_be_changed_or_deleted():
    version = make_question(external_id="q-1").published_version
    version.stem = "改ざん"
    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(ValidationError):
        QuestionVersion.objects.filter(pk=version.pk).update(stem="改ざん")
    with pytest.raises(ValidationError):
        VersionChoice.objects.filter(version=version).update(is_correct=True)
    with pytest.raises(ValidationError):
        version.delete()


def test_retiring_keeps_every_version_and_stops_drawing():
    from questions.selectors import published_questions

    question = make_question(external_id="q-1")
    question_retire(question=question, by=None, via="command")
    question.refresh_from_db()
    assert question.status == Question.Status.RETIRED
    assert question.versions.count() == 1
    assert not published_questions().filter(pk=question.pk).exists()


def test_only_reviewers_may_publish_or_retire():
    from django.contrib.auth.models import Group

    question = make_question(external_id="q-1", publish=False)
    author = UserFactory(is_staff=True)
    author.groups.add(Group.objects.get(name="Question authors"))
    with pytest.raises(PermissionDenied):
        question_publish(question=question, by=author, via="admin_action")
    with pytest.raises(PermissionDenied):
        question_retire(question=question, by=author, via="admin_action")

    reviewer = UserFactory(is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Question reviewers"))
    assert question_publish(question=question, by=reviewer, via="admin_action").published_by == reviewer


@pytest.mark.parametrize(
    ("kind", "choices", "explanation", "field"),
    [
        ("single", [("A", True), ("B", True)], "解説", "choices"),
        ("single", [("A", False), ("B", False)], "解説", "choices"),
        ("multiple", [("A", False), ("B", False)], "解説", "choices"),
        ("single", [("A", True)], "解説", "choices"),
        ("single", [("A", True), ("A", False)], "解説", "choices"),
        ("single", [("A", True), ("B", False)], "   ", "explanation"),
    ],
)
def test_publish_refuses_invalid_questions_with_a_message_naming_the_field(kind, choices, explanation, field):
    question = make_question(external_id="q-bad", kind=kind, choices=choices, explanation=explanation, publish=False)
    with pytest.raises(ValidationError) as excinfo:
        question_publish(question=question, by=None, via="command")
    assert field in excinfo.value.message_dict
    assert not question.versions.exists()


def test_select_all_questions_may_have_several_correct_choices():
    question = make_question(external_id="q-multi", kind="multiple", choices=[("A", True), ("B", True), ("C", False)])
    assert question.published_version.choices.filter(is_correct=True).count() == 2


def test_model_validation_area_must_be_a_leaf_of_the_same_exam_and_framework_only_on_e_shikaku():
    from questions.models import SyllabusArea

    question = make_question(external_id="q-1", publish=False)
    question.area = SyllabusArea.objects.get(code="G4")  # not a leaf
    with pytest.raises(ValidationError) as excinfo:
        question.full_clean()
    assert "area" in excinfo.value.message_dict

    question.area = SyllabusArea.objects.get(code="E3.1")  # another exam
    with pytest.raises(ValidationError):
        question.full_clean()

    question.area = SyllabusArea.objects.get(code="G4.2")
    question.framework = "pytorch"
    with pytest.raises(ValidationError) as excinfo:
        question.full_clean()
    assert "framework" in excinfo.value.message_dict


def test_deleting_working_choices_never_touches_published_ones():
    question = make_question(external_id="q-1")
    Choice.objects.filter(question=question).delete()
    assert question.published_version.choices.count() == 3
