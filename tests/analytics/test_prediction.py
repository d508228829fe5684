"""Ability, scaled score, first-seen scoring and the chance of passing, from scoring through the nightly
calibration to the report, the history and the live check (予測の検証)."""

import random
from datetime import timedelta

import numpy as np
import pytest
from celery.schedules import crontab
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import calibration, tasks
from common import irt
from exams import estimates
from exams.models import Attempt, AttemptItem, Blueprint, BlueprintQuota, ItemParameters, PassStandard
from exams.regrade import regrade_apply
from exams.services import answer_save, attempt_score, attempt_start, attempt_submit, compute_results
from hr.models import RealResult
from questions.models import Exam, QuestionVersion, SyllabusArea, VersionChoice
from tests.factories import UserFactory, key_positions, make_question
from tests.world import take

pytestmark = pytest.mark.django_db


def sit(blueprint, user, knows) -> Attempt:
    """A scored attempt where the person answers a question right exactly when knows(external_id)."""
    attempt = attempt_start(user=user, blueprint=blueprint)
    for item in attempt.items.select_related("version__question").order_by("position"):
        keys = key_positions(item)
        chosen = keys if knows(item.version.question.external_id) else [(keys[0] + 1) % item.choice_count]
        answer_save(user=user, attempt_id=attempt.pk, position=item.position, selected=chosen, flagged=False, seq=1)
    attempt_submit(attempt=attempt)
    attempt_score(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    return attempt


@pytest.fixture
def ladder():
    """Eight G検定 questions of rising difficulty (lad-0 easiest) on one 8-question form, and 60 people of rising
    ability: person k knows lad-j when k ≥ 7·j (with a little noise), so who knows what is a ladder."""
    for j in range(8):
        make_question(
            external_id=f"lad-{j}",
            area="G4.2",
            choices=[(f"正{j}", True), (f"誤{j}a", False), (f"誤{j}b", False), (f"誤{j}c", False)],
        )
    form = Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name="ladder", slug="ladder", minutes=30, question_count=8
    )
    BlueprintQuota.objects.create(blueprint=form, area=SyllabusArea.objects.get(code="G4"), count=8)
    rng = random.Random(3)
    people = [UserFactory() for _ in range(60)]
    for k, person in enumerate(people):
        sit(form, person, lambda external_id, k=k: k + rng.randint(-4, 4) >= 7 * int(external_id[4:]))
    return form, people


def test_scoring_stores_an_ability_a_scaled_score_and_a_labelled_chance_of_passing(cohort_blueprint, candidate):
    attempt = take(cohort_blueprint, user=candidate, right=4, rng=random.Random(1))
    assert attempt.ability is not None and 0 < attempt.ability_se < 1
    assert attempt.scaled_score == irt.scaled_score(attempt.ability)
    assert attempt.ability_provisional  # nothing calibrated yet: the authors' difficulties
    assert attempt.pass_low <= attempt.pass_probability <= attempt.pass_high
    assert attempt.pass_source == PassStandard.Source.ASSUMED  # no real results yet: JDLA's published rate
    assert attempt.predicted_at is not None
    assert (attempt.first_seen_correct, attempt.first_seen_total) == (4, 6)


def test_more_right_answers_give_a_higher_ability_and_chance(cohort_blueprint):
    rng = random.Random(2)
    weak, strong = take(cohort_blueprint, right=1, rng=rng), take(cohort_blueprint, right=6, rng=rng)
    assert weak.ability < strong.ability and weak.pass_probability < strong.pass_probability


def test_a_drill_gets_an_ability_but_no_chance_of_passing(cohort_blueprint, candidate):
    drill = Blueprint.objects.create(
        exam=cohort_blueprint.exam, name="ドリル", slug="drill", minutes=0, question_count=0, is_drill=True
    )
    attempt = attempt_start(user=candidate, blueprint=drill, drill_areas=["G4"], drill_count=4)
    attempt_submit(attempt=attempt)
    attempt_score(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.scaled_score is not None
    assert (attempt.pass_probability, attempt.pass_source, attempt.predicted_at) == (None, "", None)


def test_a_retake_counts_questions_seen_before_apart(cohort_blueprint, candidate, client):
    first = take(cohort_blueprint, user=candidate, right=6, rng=random.Random(1))
    second = take(cohort_blueprint, user=candidate, right=6, rng=random.Random(1))
    # 8 questions, 6 a form, unseen first: the retake has the 2 never met and 4 met before.
    assert AttemptItem.objects.filter(attempt=first, seen_before=True).count() == 0
    assert AttemptItem.objects.filter(attempt=second, seen_before=True).count() == 4
    assert (second.first_seen_total, second.first_seen_correct) == (2, 2)
    client.force_login(candidate)
    page = client.get(reverse("analytics:attempt_result", args=[second.pk])).content.decode()
    assert "初見の問題: 2 / 2" in page and "以前に解いた問題: 4 / 4" in page


def test_the_same_ability_scores_the_same_on_an_easy_and_a_hard_form():
    """Equating: a person of ability 0.5 gets far more right on an easy form than a hard one, but the scaled
    score, which accounts for the questions' calibrated difficulty, comes out the same within its error."""
    rng = np.random.default_rng(4)
    theta, n = 0.5, 145

    def attempt_on(difficulty: float):
        b = rng.normal(difficulty, 0.3, n)
        right = rng.random(n) < irt.probability(theta, np.ones(n), b, np.full(n, 0.25))
        facts = [estimates.ItemFacts(k, bool(r), False, 4, False, 3) for k, r in enumerate(right)]
        params = {k: (1.0, float(b[k]), 0.25, False) for k in range(n)}
        return right.mean(), estimates.estimate(facts, params, None)

    easy = [attempt_on(-1.0) for _ in range(30)]
    hard = [attempt_on(+1.0) for _ in range(30)]
    assert np.mean([raw for raw, _ in easy]) - np.mean([raw for raw, _ in hard]) > 0.2
    easy_scaled = np.mean([e.scaled_score for _, e in easy])
    hard_scaled = np.mean([e.scaled_score for _, e in hard])
    assert abs(easy_scaled - hard_scaled) < 15  # of a 100-point standard deviation
    assert abs(easy_scaled - irt.scaled_score(theta)) < 20


def test_calibration_orders_questions_by_difficulty_from_first_responses_only(ladder, monkeypatch):
    form, people = ladder
    monkeypatch.setattr(calibration, "MIN_RESPONSES", 50)
    assert calibration.calibrate_exam(form.exam) == 8
    fitted = {p.question.external_id: p for p in ItemParameters.objects.select_related("question")}
    difficulties = [fitted[f"lad-{j}"].difficulty for j in range(8)]
    assert difficulties[0] < difficulties[3] < difficulties[7]
    assert np.corrcoef(difficulties, range(8))[0, 1] > 0.9
    assert {p.responses for p in fitted.values()} == {60} and not any(p.provisional for p in fitted.values())
    assert {round(p.guessing, 2) for p in fitted.values()} == {0.25}

    # Retakes are answered from memory: they change nothing.
    for person in people[:10]:
        sit(form, person, lambda external_id: True)
    calibration.calibrate_exam(form.exam)
    assert {p.responses for p in ItemParameters.objects.all()} == {60}
    assert [ItemParameters.objects.get(question__external_id=f"lad-{j}").difficulty for j in range(8)] == pytest.approx(
        difficulties, abs=1e-6
    )


def test_too_few_responses_leave_a_provisional_estimate_near_the_authors_difficulty(cohort_blueprint):
    take(cohort_blueprint, right=3, rng=random.Random(5))
    calibration.calibrate_exam(cohort_blueprint.exam)
    params = ItemParameters.objects.all()
    assert params and all(p.provisional and p.responses == 1 for p in params)
    assert all(abs(p.difficulty - irt.prior_difficulty(3)) < 0.5 for p in params)


def test_calibrated_questions_make_the_next_estimate_final(ladder, monkeypatch):
    form, _ = ladder
    monkeypatch.setattr(calibration, "MIN_RESPONSES", 50)
    calibration.calibrate_exam(form.exam)
    attempt = sit(form, UserFactory(), lambda external_id: external_id < "lad-4")
    assert attempt.ability_provisional is False


def test_correcting_a_key_resets_the_questions_calibration(ladder):
    form, _ = ladder
    calibration.calibrate_exam(form.exam)
    reviewer = UserFactory(is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Question reviewers"))
    version = QuestionVersion.objects.get(question__external_id="lad-2", number=1)
    wrong = VersionChoice.objects.filter(version=version, is_correct=False).first()
    regrade_apply(version=version, new_key={wrong.pk}, by=reviewer, reason="出典の誤り")
    assert not ItemParameters.objects.filter(question__external_id="lad-2").exists()
    assert ItemParameters.objects.count() == 7


def test_a_key_correction_re_estimates_with_the_questions_calibration_already_reset(ladder):
    """The corrected question's parameters rested on the wrong key: the rescored attempts' abilities are
    estimated without them (from the author's difficulty), as every later scoring will be."""
    form, people = ladder
    calibration.calibrate_exam(form.exam)
    ItemParameters.objects.filter(question__external_id="lad-2").update(discrimination=3.0, difficulty=4.0)
    attempt = Attempt.objects.filter(user=people[-1]).get()  # the ablest: answered lad-2 with the old key
    reviewer = UserFactory(is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Question reviewers"))
    version = QuestionVersion.objects.get(question__external_id="lad-2", number=1)
    wrong = VersionChoice.objects.filter(version=version, is_correct=False).first()
    assert regrade_apply(version=version, new_key={wrong.pk}, by=reviewer, reason="出典の誤り").attempts_changed
    attempt = Attempt.objects.select_related("blueprint__exam").get(pk=attempt.pk)
    again = compute_results([attempt])[attempt.pk].estimate
    assert attempt.ability == pytest.approx(again.ability) and attempt.ability_se == pytest.approx(again.ability_se)


def real_result(user, passed: bool, days_ago: int = 10):
    taken_on = timezone.localdate() - timedelta(days=days_ago)
    return RealResult.objects.create(
        user=user, exam=Exam.objects.get(code="g_kentei"), session="2026#2", taken_on=taken_on, passed=passed
    )


def test_the_standard_is_fitted_to_real_results_with_mocks_taken_before_them(ladder, monkeypatch):
    form, people = ladder
    monkeypatch.setattr(calibration, "MIN_RESULTS", 20)
    Attempt.objects.update(started_at=timezone.now() - timedelta(days=20))  # the ladder sat 20 days ago
    for k, person in enumerate(people[:40]):
        real_result(person, passed=k >= 20)
    late = people[40]  # sat only after the real exam: no mock before it
    Attempt.objects.filter(user=late).update(started_at=timezone.now() - timedelta(days=5))
    real_result(late, passed=False)

    records = calibration.real_results_with_mocks(form.exam)
    assert len(records) == 40 and late.pk not in {r["user_id"] for r in records}
    calibration.calibrate_exam(form.exam)
    standard = calibration.fit_standard(form.exam)
    assert standard.source == "results" and standard.results == 40
    stored = PassStandard.objects.get(exam=form.exam)
    assert (stored.source, stored.results, stored.cut) == ("results", 40, pytest.approx(standard.cut))
    # The cut sits between those who failed and those who passed.
    abilities = {r["user_id"]: r["ability"] for r in records}
    assert (
        np.mean([abilities[p.pk] for p in people[:20]]) < stored.cut < np.mean([abilities[p.pk] for p in people[20:40]])
    )

    newcomer = sit(form, UserFactory(), lambda external_id: True)
    assert newcomer.pass_source == "results" and newcomer.pass_probability > 0.5


def test_a_mock_taken_after_the_real_exam_never_explains_it(cohort_blueprint, candidate):
    before = take(cohort_blueprint, user=candidate, right=2, rng=random.Random(1))
    after = take(cohort_blueprint, user=candidate, right=6, rng=random.Random(1))
    Attempt.objects.filter(pk=before.pk).update(started_at=timezone.now() - timedelta(days=30))
    Attempt.objects.filter(pk=after.pk).update(started_at=timezone.now() - timedelta(days=1))
    real_result(candidate, passed=True, days_ago=10)
    [record] = calibration.real_results_with_mocks(cohort_blueprint.exam)
    assert record["pk"] == before.pk


def test_the_live_check_counts_only_predictions_made_before_the_real_exam(cohort_blueprint):
    rng = random.Random(8)
    people = [UserFactory() for _ in range(4)]
    attempts = [take(cohort_blueprint, user=p, right=r, rng=rng) for p, r in zip(people, (1, 2, 5, 6), strict=True)]
    twenty_days_ago = timezone.now() - timedelta(days=20)
    Attempt.objects.update(started_at=twenty_days_ago, predicted_at=twenty_days_ago)
    for person, passed in zip(people, (False, True, True, True), strict=True):
        real_result(person, passed=passed)
    # One prediction was recomputed after the real exam (a regrade): it is not an honest forecast any more.
    Attempt.objects.filter(pk=attempts[1].pk).update(predicted_at=timezone.now())

    check = calibration.prediction_check(cohort_blueprint.exam)
    kept = [Attempt.objects.get(pk=attempts[k].pk) for k in (0, 2, 3)]
    observed = [False, True, True]
    assert check["count"] == 3 and check["passed"] == 2
    assert check["brier"] == pytest.approx(irt.brier([a.pass_probability for a in kept], observed))
    assert check["brier_rule"] == pytest.approx(irt.brier([float(a.score >= a.pass_ratio) for a in kept], observed))
    assert sum(n for _, _, n in check["reliability"]) == 3


@pytest.fixture
def author():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Question authors"))
    return user


def test_authors_see_the_prediction_check_and_others_do_not(client, author, cohort_blueprint):
    person = UserFactory()
    take(cohort_blueprint, user=person, right=5, rng=random.Random(1))
    Attempt.objects.update(
        started_at=timezone.now() - timedelta(days=20), predicted_at=timezone.now() - timedelta(days=20)
    )
    real_result(person, passed=True)
    url = reverse("admin:analytics_prediction_check")

    client.force_login(author)
    page = client.get(url).content.decode()
    assert "予測の検証" in page and "Brier" in page and 'class="chart chart-reliability"' in page
    assert "G検定" in page and "JDLA公表の合格率" in page
    tools = client.get(reverse("admin:questions_question_changelist")).content.decode()
    assert url in tools and reverse("admin:questions_bank_report") in tools  # both linked from the bank

    client.force_login(UserFactory(is_staff=True))  # staff without question rights
    assert client.get(url).status_code == 403
    client.force_login(UserFactory())  # not staff: the admin's login page
    assert client.get(url).status_code == 302


def test_the_prediction_check_costs_the_same_queries_for_few_and_many_results(client, author, cohort_blueprint):
    client.force_login(author)
    url = reverse("admin:analytics_prediction_check")

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    rng = random.Random(3)
    person = UserFactory()
    take(cohort_blueprint, user=person, right=3, rng=rng)
    real_result(person, passed=False)
    Attempt.objects.update(
        started_at=timezone.now() - timedelta(days=20), predicted_at=timezone.now() - timedelta(days=20)
    )
    few = count()
    for _ in range(8):
        person = UserFactory()
        take(cohort_blueprint, user=person, right=rng.randint(0, 6), rng=rng)
        real_result(person, passed=rng.random() < 0.5)
    Attempt.objects.update(
        started_at=timezone.now() - timedelta(days=20), predicted_at=timezone.now() - timedelta(days=20)
    )
    assert count() == few


def test_the_nightly_task_calibrates_and_sets_every_exams_standard(cohort_blueprint):
    entry = settings.CELERY_BEAT_SCHEDULE["calibrate"]
    assert entry["task"] == "analytics.tasks.calibrate"
    assert entry["schedule"] == crontab(hour=3, minute=30)  # Asia/Tokyo, CELERY_TIMEZONE
    take(cohort_blueprint, right=3, rng=random.Random(1))
    done = tasks.calibrate.delay().get()
    assert done["g_kentei"] == {"items": 6, "standard": "assumed"}
    assert PassStandard.objects.get(exam__code="g_kentei").source == "assumed"
    assert done["genai_test"]["standard"] is None  # no published rate Moshi relies on: no prediction yet


def test_the_report_explains_the_method_and_the_history_shows_the_new_columns(client, cohort_blueprint, candidate):
    attempt = take(cohort_blueprint, user=candidate, right=5, rng=random.Random(1))
    client.force_login(candidate)
    page = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    assert "実力スコア" in page and str(attempt.scaled_score) in page
    assert "本番の合格可能性" in page and f"{attempt.pass_probability * 100:.0f}%" in page
    assert "JDLA が公表した合格率から本番の合格ラインを仮定" in page  # labelled as assumed
    assert "実力スコアと合格可能性の計算方法" in page and "本番の後に受けた模試は使いません" in page
    assert "合格ラインに届く見込み" not in page  # the old Beta-binomial chance is gone
    history = client.get(reverse("analytics:history")).content.decode()
    assert str(attempt.scaled_score) in history and f"{attempt.pass_low * 100:.0f}%" in history


def test_an_attempt_scored_before_estimates_existed_still_renders(client, cohort_blueprint, candidate):
    attempt = take(cohort_blueprint, user=candidate, right=5, rng=random.Random(1))
    Attempt.objects.filter(pk=attempt.pk).update(
        ability=None,
        ability_se=None,
        scaled_score=None,
        pass_probability=None,
        pass_low=None,
        pass_high=None,
        pass_source="",
    )
    client.force_login(candidate)
    response = client.get(reverse("analytics:attempt_result", args=[attempt.pk]))
    assert response.status_code == 200 and "実力スコア" not in response.content.decode()
    assert client.get(reverse("analytics:history")).status_code == 200
