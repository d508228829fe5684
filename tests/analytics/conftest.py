import random

import pytest
from django.utils import timezone

from exams.models import Attempt, Blueprint, BlueprintQuota
from exams.services import answer_save, attempt_score, attempt_start, attempt_submit
from questions.models import Exam, SyllabusArea
from tests.factories import UserFactory, key_positions, make_question


@pytest.fixture
def cohort_blueprint():
    """A 6-question G検定 form over 8 published questions in two areas."""
    for i in range(5):
        make_question(
            external_id=f"c4-{i}", area="G4.2", choices=[(f"正{i}", True), (f"誤{i}a", False), (f"誤{i}b", False)]
        )
    for i in range(3):
        make_question(
            external_id=f"c3-{i}", area="G3.4", choices=[(f"正{i}", True), (f"誤{i}a", False), (f"誤{i}b", False)]
        )
    bp = Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name="cohort", slug="cohort", minutes=30, question_count=6
    )
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G4"), count=4)
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G3"), count=2)
    return bp


def take(blueprint, *, user=None, right: int, rng: random.Random, scored_at=None) -> Attempt:
    """A scored attempt with `right` correct answers (the first ones), the rest wrong or blank at random."""
    user = user or UserFactory()
    attempt = attempt_start(user=user, blueprint=blueprint)
    for item in attempt.items.select_related("version").order_by("position"):
        keys = key_positions(item)
        if item.position <= right:
            chosen = keys
        else:
            wrong = [n for n in range(item.choice_count) if n not in keys]
            chosen = [] if rng.random() < 0.2 else [rng.choice(wrong)]
        answer_save(user=user, attempt_id=attempt.pk, position=item.position, selected=chosen, flagged=False, seq=1)
    attempt_submit(attempt=attempt)
    attempt_score(attempt_id=attempt.pk)
    if scored_at:
        Attempt.objects.filter(pk=attempt.pk).update(scored_at=scored_at)
    attempt.refresh_from_db()
    return attempt


@pytest.fixture
def long_ago():
    return timezone.now() - timezone.timedelta(hours=1)
