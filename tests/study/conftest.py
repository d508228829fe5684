import pytest

from exams.models import Blueprint, BlueprintQuota
from questions.models import Exam, SyllabusArea
from tests.factories import make_question


def four(tag):
    return [
        (f"{tag}の正しい説明", True),
        (f"{tag}の誤り一", False),
        (f"{tag}の誤り二", False),
        (f"{tag}の誤り三", False),
    ]


@pytest.fixture
def bank():
    """Twelve G検定 questions in three areas (with glossary words in them), a 6-question mock and the drill
    (whose pace, 40 s a question, grades study answers)."""
    questions = []
    for i in range(5):
        questions.append(
            make_question(
                external_id=f"s-g4-{i}",
                area="G4.2",
                stem=f"勾配消失問題について正しいものを選べ（{i}）",
                choices=four(f"活性化{i}"),
            )
        )
    for i in range(4):
        questions.append(
            make_question(
                external_id=f"s-g3-{i}", area="G3.4", stem=f"過学習を防ぐ方法（{i}）", choices=four(f"正則化{i}")
            )
        )
    for i in range(3):
        questions.append(
            make_question(
                external_id=f"s-g5-{i}",
                area="G5.1",
                kind="multiple",
                stem=f"畳み込み層について正しいものをすべて選べ（{i}）",
                choices=[("正しいA", True), ("正しいB", True), ("誤りC", False), ("誤りD", False)],
            )
        )
    exam = Exam.objects.get(code="g_kentei")
    mock = Blueprint.objects.create(exam=exam, name="ミニ模試", slug="mini-mock", minutes=20, question_count=6)
    for code, n in (("G4", 3), ("G3", 2), ("G5", 1)):
        BlueprintQuota.objects.create(blueprint=mock, area=SyllabusArea.objects.get(code=code), count=n)
    Blueprint.objects.create(
        exam=exam, name="ドリル", slug="g-drill", minutes=0, question_count=0, is_drill=True, seconds_per_question=40
    )
    return exam, mock, questions
