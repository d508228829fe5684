"""The starter bank shipped in questions/data/bank: valid, substantive, covering the syllabus, and
large enough for every default blueprint to start."""

from collections import Counter

import pytest
from django.core.management import call_command

from exams.models import Blueprint
from exams.services import attempt_start
from questions.bankfile import BANK_DIR, read_bank, syllabus_leaves
from tests.factories import UserFactory


@pytest.fixture(scope="module")
def bank():
    return read_bank([BANK_DIR])  # raises BankError listing every schema or key problem


def test_every_question_is_valid_and_ids_and_stems_are_unique(bank):
    ids = Counter(q.external_id for q in bank.questions)
    assert [i for i, n in ids.items() if n > 1] == []
    # PyTorch and TensorFlow variants of a linked set may share a stem: their stimulus (the code) differs.
    stems = Counter((" ".join(q.stem.split()), q.stimulus) for q in bank.questions)
    assert [s[:40] for (s, _), n in stems.items() if n > 1] == []


def test_explanations_are_substantive_and_questions_have_four_choices(bank):
    thin = [q.external_id for q in bank.questions if len(q.explanation.strip()) < 80]
    assert thin == []
    assert {len(q.choices) for q in bank.questions} == {4}


def test_coverage_minimums(bank):
    leaves = syllabus_leaves()
    per_exam = Counter(q.exam for q in bank.questions)
    per_leaf = Counter((q.exam, q.area) for q in bank.questions)
    assert per_exam["g_kentei"] >= 300
    assert per_exam["e_shikaku"] >= 150
    assert per_exam["genai_test"] >= 40
    for exam in ("g_kentei", "e_shikaku", "genai_test"):
        thin = sorted(code for code in leaves[exam] if per_leaf[(exam, code)] < 3)
        assert thin == [], f"{exam} leaf areas with fewer than 3 questions"


def test_code_questions_come_in_both_frameworks(bank):
    frameworks = Counter(q.framework for q in bank.questions if q.exam == "e_shikaku")
    assert frameworks["pytorch"] == frameworks["tensorflow"] > 0
    variants = {q.external_id.rsplit("-", 1)[0] for q in bank.questions if q.framework == "pytorch"}
    tf_variants = {q.external_id.rsplit("-", 1)[0] for q in bank.questions if q.framework == "tensorflow"}
    assert variants == tf_variants


@pytest.mark.django_db
def test_every_default_blueprint_starts_from_the_shipped_bank():
    call_command("import_bank")
    call_command("seed_blueprints")
    candidate = UserFactory()
    for blueprint in Blueprint.objects.filter(is_drill=False):
        frameworks = ["pytorch", "tensorflow"] if blueprint.requires_framework else [""]
        for framework in frameworks:
            attempt = attempt_start(user=candidate, blueprint=blueprint, framework=framework)
            items = list(attempt.items.select_related("version__question"))
            assert len(items) == blueprint.question_count, blueprint.slug
            assert len({i.version.question_id for i in items}) == len(items)  # no repeats
            if framework:
                assert {i.version.question.framework for i in items} <= {"common", framework}
            attempt.delete()
