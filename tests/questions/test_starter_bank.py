"""The bank shipped in questions/data/bank: valid, substantive, covering the syllabus, free of cues to the
key, and large enough for every default blueprint to start, and to be drawn again and again without repeats."""

import random
from collections import Counter

import pytest
from django.core.management import call_command

from exams.drawing import Candidate, Quota, draw
from exams.management.commands.seed_blueprints import DEFAULTS
from exams.models import Blueprint
from exams.services import attempt_start
from questions.bankfile import BANK_DIR, read_bank, syllabus_leaves
from questions.cues import KEY_LENGTH_RATIO, MAX_GUESSER_GAIN, MAX_KEY_LONGEST, cue_figures
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
    """1,000+ G検定, 600+ E資格 and 150+ Generative AI Test questions, and every leaf area at least 10, so a
    drill on any area from a report starts (issue 3/8)."""
    leaves = syllabus_leaves()
    per_exam = Counter(q.exam for q in bank.questions)
    per_leaf = Counter((q.exam, q.area) for q in bank.questions)
    assert per_exam["g_kentei"] >= 1000
    assert per_exam["e_shikaku"] >= 600
    assert per_exam["genai_test"] >= 150
    for exam in ("g_kentei", "e_shikaku", "genai_test"):
        thin = sorted(code for code in leaves[exam] if per_leaf[(exam, code)] < 10)
        assert thin == [], f"{exam} leaf areas with fewer than 10 questions"


def test_select_all_questions_vary_in_how_many_choices_are_right(bank):
    for exam in ("g_kentei", "e_shikaku", "genai_test"):
        rights = Counter(
            sum(c.correct for c in q.choices) for q in bank.questions if q.exam == exam and q.kind == "multiple"
        )
        assert len(rights) >= 3 and sum(rights.values()) >= 0.1 * sum(1 for q in bank.questions if q.exam == exam), exam


@pytest.mark.parametrize("exam", ["g_kentei", "e_shikaku", "genai_test"])
def test_no_test_wise_habit_finds_the_key(bank, exam):
    """The quality gate (docs/question-writing.md): key longest in at most 30% of single-answer questions,
    key/distractor mean length within 0.9-1.1, and no guessing habit more than 5 points above chance."""
    figures = cue_figures(bank.questions)[exam]
    assert figures.problems() == []
    assert figures.key_longest <= MAX_KEY_LONGEST
    assert KEY_LENGTH_RATIO[0] <= figures.length_ratio <= KEY_LENGTH_RATIO[1]
    assert figures.guesser_gain <= MAX_GUESSER_GAIN


# How many full forms of each default blueprint must draw without a question repeating (issue 3/8).
FORMS_WITHOUT_REPEATS = {"g-kentei-online": 6, "g-kentei-center": 6, "e-shikaku-full": 5, "genai-test": 5}


@pytest.mark.parametrize(
    ("slug", "framework"),
    [
        ("g-kentei-online", ""),
        ("g-kentei-center", ""),
        ("e-shikaku-full", "pytorch"),
        ("e-shikaku-full", "tensorflow"),
        ("genai-test", ""),
    ],
)
def test_full_forms_draw_again_and_again_without_repeating_a_question(bank, slug, framework):
    """Drawn as attempt_start draws (exams.drawing.draw, linked sets whole), each form from what the earlier
    ones left: a candidate who sits them all never meets a question twice."""
    (exam, _name, _minutes, count, quotas), *_ = [
        (exam, name, minutes, count, quotas) for s, exam, name, minutes, count, quotas, _ in DEFAULTS if s == slug
    ]
    allowed = {"common", framework} if framework else {"common"}
    candidates = [
        Candidate(n, n, q.area, q.stimulus or None)
        for n, q in enumerate(bank.questions)
        if q.exam == exam and q.framework in allowed
    ]
    rng, seen = random.Random(2026), set()
    for _form in range(FORMS_WITHOUT_REPEATS[slug]):
        drawn = draw(
            [c for c in candidates if c.question_id not in seen],
            [Quota(a, n) for a, n in quotas.items()],
            rng,
            shuffle=True,
        )
        assert len(drawn) == count
        ids = {c.question_id for c in drawn}
        assert len(ids) == count and not ids & seen
        seen |= ids


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
