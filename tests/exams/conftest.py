import pytest

from exams.models import Blueprint, BlueprintQuota
from questions.models import Exam, SyllabusArea
from tests.factories import make_question


def four(i):
    return [(f"正解{i}", True), (f"誤り{i}a", False), (f"誤り{i}b", False), (f"誤り{i}c", False)]


@pytest.fixture
def g_blueprint():
    for i in range(6):
        make_question(external_id=f"g4-{i}", area="G4.2", choices=four(i))
    for i in range(4):
        make_question(external_id=f"g3-{i}", area="G3.4", choices=four(i + 10))
    bp = Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name="mini", slug="mini", minutes=10, question_count=5, pass_ratio=0.6
    )
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G4"), count=3)
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G3"), count=2)
    return bp


@pytest.fixture
def e_blueprint():
    for i in range(3):
        make_question(external_id=f"e-common-{i}", area="E3.1", choices=four(i))
        make_question(external_id=f"e-pt-{i}", area="E3.1", framework="pytorch", choices=four(i + 10))
        make_question(external_id=f"e-tf-{i}", area="E3.1", framework="tensorflow", choices=four(i + 20))
    bp = Blueprint.objects.create(
        exam=Exam.objects.get(code="e_shikaku"),
        name="e",
        slug="e",
        minutes=10,
        question_count=6,
        requires_framework=True,
    )
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="E3"), count=6)
    return bp
