import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import selectors
from analytics.models import BlueprintNorm, ItemStat
from analytics.services import COHORT
from analytics.statistics import RunningMoments
from exams.models import Attempt, Blueprint, BlueprintQuota, FeedCursor
from questions.models import SyllabusArea
from tests.factories import key_positions, make_question
from tests.world import take

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_standing_appears_once_the_cohort_is_large_enough(client, candidate, cohort_blueprint):
    attempt = take(cohort_blueprint, user=candidate, right=3, rng=random.Random(1))
    # 40 examinees: 10 with 1 right, 20 with 3, 10 with 5 (of 6). Mean score = (10·1 + 20·3 + 10·5)/(40·6) = 0.5;
    # squared deviations from 0.5: 10·(2/6)² + 20·0 + 10·(2/6)² = 80/36 → σ = √(2/36) ≈ 0.2357.
    norm = BlueprintNorm.objects.create(
        blueprint=cohort_blueprint, count=9, mean=0.5, m2=80 / 36, correct_counts={"1": 2, "3": 5, "5": 2}
    )
    client.force_login(candidate)
    url = reverse("analytics:attempt_result", args=[attempt.pk])
    assert "人を超えると、偏差値と順位を表示します" in client.get(url).content.decode()

    norm.count, norm.correct_counts = 40, {"1": 10, "3": 20, "5": 10}
    norm.save()
    FeedCursor.objects.update_or_create(  # the refresh has folded this attempt in: it is one of the 40
        name=COHORT, defaults={"scored_at": attempt.scored_at, "attempt_id": attempt.pk}
    )
    page = client.get(url).content.decode()
    # 3 right = the mean: 偏差値 50.0; 10 below and 20 equal → (10 + 10)/40 = 50%; 10 above → rank 11.
    assert '<span class="kpi-value">50.0</span>' in page
    assert "上位から 11 位 / 40 人（下に 50%）" in page
    assert "受験者の得点分布" in page


def test_before_the_refresh_folds_it_in_the_report_counts_the_attempt_itself(client, candidate, cohort_blueprint):
    """Rank 52 of 51 with 偏差値 11.1 was a report read before the statistics refresh counted its attempt."""
    attempt = take(cohort_blueprint, user=candidate, right=0, rng=random.Random(1))
    BlueprintNorm.objects.create(
        blueprint=cohort_blueprint, count=51, mean=4 / 6, m2=51 * (1 / 6) ** 2, correct_counts={"3": 26, "5": 25}
    )
    client.force_login(candidate)
    page = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    assert "上位から 52 位 / 52 人（下に 1%）" in page  # last of 52 (itself counted): (0 + ½)/52 ≈ 1%
    standing = selectors.standing(attempt=attempt, cohort=selectors.cohort(attempt=attempt))
    assert standing.rank <= standing.examinees == 52 and 0 <= standing.percentile <= 100


def test_score_bands_put_each_correct_count_in_its_tenth():
    from analytics.selectors import Cohort, score_bands

    cohort = Cohort({0: 1, 19: 2, 20: 1, 199: 1, 200: 1}, RunningMoments(count=6))
    # of 200: 0 and 19 → 0–10%; 20 → 10–20%; 199 and 200 (perfect) → the last band
    assert score_bands(cohort, 200) == [3, 1, 0, 0, 0, 0, 0, 0, 0, 2]


def test_report_lists_priority_review_shares_and_a_drill_on_the_weakest_areas(client, candidate, cohort_blueprint):
    drill = Blueprint.objects.create(
        exam=cohort_blueprint.exam, name="ドリル", slug="g-drill", minutes=0, question_count=0, is_drill=True
    )
    attempt = take(cohort_blueprint, user=candidate, right=0, rng=random.Random(2))
    missed = attempt.items.select_related("version").get(position=1)
    key_id = missed.choice_order[key_positions(missed)[0]]
    ItemStat.objects.create(
        version=missed.version, responses=20, correct=18, facility=0.9, choice_picks={str(key_id): 18}
    )
    client.force_login(candidate)
    page = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    priority = page.split('id="priority-title"')[1].split("</section>")[0]
    assert '<a href="#q1">第1問</a>（90%）' in priority
    assert "選んだ受験者 90%" in page  # 18 of 20 chose the key
    assert 'name="areas" value="G' in page and f'action="/exams/{drill.slug}/"' in page

    codes = [c for c in ("G3.4", "G4.2") if f'name="areas" value="{c}"' in page]
    client.post(reverse("exams:start", args=[drill.slug]), {"areas": codes, "count": 4})
    assert Attempt.objects.filter(user=candidate, blueprint=drill).exists()


def test_result_and_history_queries_do_not_grow_with_past_attempts(client, candidate, cohort_blueprint):
    rng = random.Random(5)
    take(cohort_blueprint, user=candidate, right=2, rng=rng)
    client.force_login(candidate)
    history_one = queries(client, reverse("analytics:history"))
    second = take(cohort_blueprint, user=candidate, right=4, rng=rng)
    result_one = queries(client, reverse("analytics:attempt_result", args=[second.pk]))  # one past attempt
    for _ in range(28):
        latest = take(cohort_blueprint, user=candidate, right=rng.randint(0, 6), rng=rng)
    assert queries(client, reverse("analytics:attempt_result", args=[latest.pk])) == result_one
    assert queries(client, reverse("analytics:history")) == history_one
    Blueprint.objects.create(
        exam=cohort_blueprint.exam, name="ドリル", slug="g-drill", minutes=0, question_count=0, is_drill=True
    )
    page = client.get(reverse("analytics:history")).content.decode()
    assert len(re.findall(r'href="/results/\d+/"', page)) == 30 and "<svg" in page
    assert 'href="/exams/g-drill/"' in page


def test_result_queries_do_not_grow_with_the_number_of_questions(client, candidate, cohort_blueprint):
    for i in range(200):
        make_question(external_id=f"big-{i}", area="G4.2", choices=[(f"正{i}", True), (f"誤{i}", False)])
    big = Blueprint.objects.create(exam=cohort_blueprint.exam, name="big", slug="big", minutes=120, question_count=200)
    BlueprintQuota.objects.create(blueprint=big, area=SyllabusArea.objects.get(code="G4"), count=200)
    small_attempt = take(cohort_blueprint, user=candidate, right=3, rng=random.Random(1))
    big_attempt = take(big, user=candidate, right=150, rng=random.Random(1))
    client.force_login(candidate)
    assert queries(client, reverse("analytics:attempt_result", args=[small_attempt.pk])) == queries(
        client, reverse("analytics:attempt_result", args=[big_attempt.pk])
    )


def test_nobody_else_sees_a_report_or_another_history(client, candidate, other_candidate, cohort_blueprint):
    attempt = take(cohort_blueprint, user=candidate, right=3, rng=random.Random(1))
    client.force_login(other_candidate)
    assert client.get(reverse("analytics:attempt_result", args=[attempt.pk])).status_code == 404
    assert "cohort" not in client.get(reverse("analytics:history")).content.decode()


def test_the_report_speaks_english_when_asked(client, candidate, cohort_blueprint):
    attempt = take(cohort_blueprint, user=candidate, right=3, rng=random.Random(1))
    client.force_login(candidate)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    assert "Review first" in page and "most examinees (80% or more)" in page
    assert "Ability score" in page and "80% range:" in page and "Chance of passing the real exam" in page
    assert "How the ability score and the chance of passing are calculated" in page


def test_e_shikaku_results_roll_up_to_jdla_reported_areas():
    from analytics.selectors import AreaRow, report_area_rollup

    rows = [
        AreaRow(1, "E1", "応用数学", True, "応用数学", [], 3, 5),
        AreaRow(2, "E1.1", "確率", False, "応用数学", [], 3, 5),
        AreaRow(3, "E3", "深層学習 day1", True, "深層学習", [], 4, 10),
        AreaRow(4, "E4", "深層学習 day2", True, "深層学習", [], 6, 10),
    ]
    assert report_area_rollup(rows) == [("応用数学", 3, 5), ("深層学習", 10, 20)]  # leaves not counted twice


def test_keys_of_questions_in_an_open_attempt_are_withheld(client, candidate, cohort_blueprint):
    from exams.services import attempt_start

    drill = Blueprint.objects.create(
        exam=cohort_blueprint.exam, name="ドリル", slug="g-drill", minutes=0, question_count=0, is_drill=True
    )
    from exams.services import attempt_score, attempt_submit

    # A drill done first, then a mock opened that draws some of its questions again (nothing open shares them
    # at draw time; the drill was submitted): the drill's keys for those wait for the mock's submit.
    done = attempt_start(user=candidate, blueprint=drill, drill_areas=["G3", "G4"], drill_count=6)
    attempt_submit(attempt=done)
    attempt_score(attempt_id=done.pk)
    still_open = attempt_start(user=candidate, blueprint=cohort_blueprint)
    shared = set(still_open.items.values_list("version_id", flat=True)) & set(
        done.items.values_list("version_id", flat=True)
    )
    assert shared  # 6 of 8 questions in each: at least 4 overlap
    client.force_login(candidate)
    page = client.get(reverse("analytics:attempt_result", args=[done.pk])).content.decode()
    assert page.count("正誤と解説はその提出後に表示します") == len(shared)
    assert page.count("（正解）") == 6 - len(shared)  # keys only for the questions not in the open mock


def test_an_old_attempt_keeps_its_result_when_its_blueprint_changes_format(client, candidate, cohort_blueprint):
    """Blueprint changes (exams.0008: the G検定 forms) must not change past results (issue 3/8)."""
    from exams.models import Blueprint

    attempt = take(cohort_blueprint, user=candidate, right=4, rng=random.Random(8))
    Blueprint.objects.filter(pk=cohort_blueprint.pk).update(name="新形式", question_count=3, minutes=5)
    cohort_blueprint.quotas.update(count=1)
    client.force_login(candidate)
    page = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    assert "4 / 6" in page and page.count('class="review-item"') == 6


def test_study_next_never_rests_on_two_answers():
    from analytics.selectors import AreaRow, weakest_areas

    def row(code, correct, total, top=False):
        return AreaRow(0, code, code, top, "", [], correct, total)

    rows = [row("G4", 7, 10, True), row("G4.1", 0, 2), row("G4.2", 2, 5), row("G4.3", 3, 3), row("G3", 1, 2, True)]
    assert [r.code for r in weakest_areas(rows)] == ["G4.2"]  # not G4.1 (0 of 2), nor G4.3 (all right)
    thin = [row("G4", 2, 4, True), row("G4.1", 0, 2), row("G4.2", 2, 2), row("G3", 0, 1, True)]
    assert [r.code for r in weakest_areas(thin)] == ["G4"]  # every leaf too thin: the top-level area


def test_the_report_and_history_use_one_word_for_the_line_and_the_readers_dates(client, candidate, cohort_blueprint):
    attempt = take(cohort_blueprint, user=candidate, right=1, rng=random.Random(1))
    client.force_login(candidate)
    report = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    history = client.get(reverse("analytics:history")).content.decode()
    assert "合格ライン未到達" in report and "未到達" in history and "不合格" not in history
    client.cookies["django_language"] = "en"
    english = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    header = re.search(r'<p class="muted">(.*?)</p>', english).group(1)
    assert "年" not in header and str(timezone.localdate().year) in header  # an English date
