import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.models import BlueprintNorm, ItemStat
from exams.models import Attempt, Blueprint, BlueprintQuota
from questions.models import SyllabusArea
from tests.analytics.conftest import take
from tests.factories import key_positions, make_question

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
    page = client.get(url).content.decode()
    # 3 right = the mean: 偏差値 50.0; 10 below and 20 equal → (10 + 10)/40 = 50%; 10 above → rank 11.
    assert '<span class="kpi-value">50.0</span>' in page
    assert "上位から 11 位 / 40 人（下に 50%）" in page
    assert "受験者の得点分布" in page


def test_score_bands_put_each_correct_count_in_its_tenth():
    from analytics.selectors import score_bands

    norm = BlueprintNorm(count=6, correct_counts={"0": 1, "19": 2, "20": 1, "199": 1, "200": 1})
    # of 200: 0 and 19 → 0–10%; 20 → 10–20%; 199 and 200 (perfect) → the last band
    assert score_bands(norm, 200) == [3, 1, 0, 0, 0, 0, 0, 0, 0, 2]


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
    assert "Estimated ability (correct rate):" in page and "(80% range)" in page


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
    still_open = attempt_start(user=candidate, blueprint=cohort_blueprint)
    done = attempt_start(user=candidate, blueprint=drill, drill_areas=["G3", "G4"], drill_count=6)
    from exams.services import attempt_score, attempt_submit

    attempt_submit(attempt=done)
    attempt_score(attempt_id=done.pk)
    shared = set(still_open.items.values_list("version_id", flat=True)) & set(
        done.items.values_list("version_id", flat=True)
    )
    assert shared  # 6 of 8 questions in each: at least 4 overlap
    client.force_login(candidate)
    page = client.get(reverse("analytics:attempt_result", args=[done.pk])).content.decode()
    assert page.count("正誤と解説はその提出後に表示します") == len(shared)
    assert page.count("（正解）") == 6 - len(shared)  # keys only for the questions not in the open mock
