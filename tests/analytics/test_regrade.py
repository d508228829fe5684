"""Regrade: a published key was wrong. The dry run changes nothing; applying changes exactly the affected
attempts, once, keeps an audit record, and the statistics are rebuilt from the corrected results."""

import random

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from analytics.models import ItemStat
from exams.models import Attempt, AttemptItem, KeyCorrection
from exams.regrade import regrade_apply, regrade_preview
from exams.services import ExamError, NotAllowed
from questions.models import QuestionVersion, VersionChoice
from tests.factories import UserFactory
from tests.world import refresh_statistics, take

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Question reviewers"))
    return user


def state():
    return sorted(Attempt.objects.values_list("pk", "correct_count", "score", "passed", "scored_at"))


def test_dry_run_changes_nothing_and_apply_changes_exactly_the_affected_attempts_once(cohort_blueprint, reviewer):
    rng = random.Random(11)
    [take(cohort_blueprint, right=rng.randint(0, 6), rng=rng) for _ in range(6)]
    version = QuestionVersion.objects.get(question__external_id="c4-0", number=1)
    key = VersionChoice.objects.get(version=version, is_correct=True)
    wrong_option = VersionChoice.objects.filter(version=version, is_correct=False).order_by("order").first()
    showing = set(AttemptItem.objects.filter(version=version).values_list("attempt_id", flat=True))
    # Who changes by hand: those who picked the old key lose a point, those who picked the new one gain one.
    expected = {}
    for item in AttemptItem.objects.filter(version=version):
        picked = {item.choice_order[p] for p in item.selected}
        delta = (picked == {wrong_option.pk}) - (picked == {key.pk})
        if delta:
            expected[item.attempt_id] = Attempt.objects.get(pk=item.attempt_id).correct_count + delta
    before = state()

    preview = regrade_preview(version=version, new_key={wrong_option.pk})
    assert {c.attempt_id for c in preview} == showing
    assert {c.attempt_id: c.new_correct for c in preview if c.new_correct != c.old_correct} == expected
    assert state() == before  # the dry run wrote nothing
    assert VersionChoice.objects.get(pk=key.pk).is_correct

    correction = regrade_apply(version=version, new_key={wrong_option.pk}, by=reviewer, reason="出典の誤り")
    assert correction.attempts_rescored == len(showing) and correction.attempts_changed == len(expected)
    assert correction.old_key == [key.pk] and correction.new_key == [wrong_option.pk]
    after = {pk: (correct, scored_at) for pk, correct, _, _, scored_at in state()}
    for pk, correct, _, _, scored_at in before:
        assert after[pk] == (expected.get(pk, correct), scored_at)  # scored_at kept: reports do not recount
    assert not VersionChoice.objects.get(pk=key.pk).is_correct

    with pytest.raises(ExamError):  # the same correction again: refused, nothing rescored twice
        regrade_apply(version=version, new_key={wrong_option.pk}, by=reviewer, reason="もう一度")
    assert KeyCorrection.objects.count() == 1


def test_only_reviewers_may_regrade(cohort_blueprint):
    take(cohort_blueprint, right=3, rng=random.Random(1))
    version = QuestionVersion.objects.get(question__external_id="c4-0")
    other = VersionChoice.objects.filter(version=version, is_correct=False).first()
    with pytest.raises(NotAllowed):
        regrade_apply(version=version, new_key={other.pk}, by=UserFactory(is_staff=True), reason="x")
    assert VersionChoice.objects.filter(version=version, is_correct=True).count() == 1


def test_statistics_are_rebuilt_after_a_regrade(cohort_blueprint, reviewer):
    rng = random.Random(4)
    for _ in range(5):
        take(cohort_blueprint, right=6, rng=rng, scored_at=timezone.now() - timezone.timedelta(hours=1))
    refresh_statistics()
    version = QuestionVersion.objects.get(question__external_id="c4-0")
    stat = ItemStat.objects.get(version=version)
    assert stat.facility == 1.0
    other = VersionChoice.objects.filter(version=version, is_correct=False).first()
    regrade_apply(version=version, new_key={other.pk}, by=reviewer, reason="誤り")
    refresh_statistics()
    assert ItemStat.objects.get(version=version).facility == 0.0  # everyone had picked the old key


def test_admin_regrade_goes_through_a_dry_run(client, cohort_blueprint, reviewer):
    take(cohort_blueprint, right=6, rng=random.Random(2))
    version = QuestionVersion.objects.get(question__external_id="c3-0")
    other = VersionChoice.objects.filter(version=version, is_correct=False).first()
    client.force_login(reviewer)
    url = reverse("admin:exams_keycorrection_add") + "?question=c3-0"
    assert "c3-0 v1" in client.get(url).content.decode()
    preview = client.post(url, {"new_key": [other.pk], "reason": "誤植", "preview": "1"}).content.decode()
    assert "ドライラン: 再採点する受験" in preview and not KeyCorrection.objects.exists()
    applied = client.post(url, {"new_key": [other.pk], "reason": "誤植", "apply": "1"})
    assert applied.status_code == 302 and KeyCorrection.objects.get().corrected_by == reviewer

    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 403


def test_the_dry_run_costs_the_same_for_5_or_25_attempts(cohort_blueprint):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rng = random.Random(8)
    version = QuestionVersion.objects.get(question__external_id="c3-0")
    other = VersionChoice.objects.filter(version=version, is_correct=False).first()

    def preview_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            regrade_preview(version=version, new_key={other.pk})
        return len(ctx.captured_queries)

    def take_until_shown_in(attempts: int) -> None:
        # Each form draws 2 of the 3 G3 questions at random: count the attempts that show this version.
        while AttemptItem.objects.filter(version=version).count() < attempts:
            take(cohort_blueprint, right=rng.randint(0, 6), rng=rng)

    take_until_shown_in(5)
    few = preview_queries()
    take_until_shown_in(25)
    assert preview_queries() == few
