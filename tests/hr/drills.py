"""A G検定 drill and drill attempts, for the tests of drill assignments (imported by tests/hr/conftest.py and the
browser tests)."""

import pytest

from exams.models import Attempt, Blueprint
from exams.services import attempt_start, attempt_submit
from questions.models import Exam
from tests.factories import make_question


@pytest.fixture
def g_drill(cohort_blueprint):
    """The G検定 drill, over cohort_blueprint's questions (5 in G4.2, 3 in G3.4) and 3 more in G9.3."""
    for i in range(3):
        make_question(external_id=f"law-{i}", area="G9.3", choices=[(f"正{i}", True), (f"誤{i}", False)])
    return Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"),
        name="G検定 分野別ドリル",
        slug="g-drill",
        minutes=0,
        question_count=0,
        is_drill=True,
    )


def drill(blueprint, user, areas: list[str], count: int = 2) -> Attempt:
    """A submitted drill on `areas` (what the member's "start the drill" button posts)."""
    attempt = attempt_start(user=user, blueprint=blueprint, drill_areas=areas, drill_count=count)
    attempt_submit(attempt=attempt)
    attempt.refresh_from_db()
    return attempt
