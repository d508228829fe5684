"""analytics.statistics against hand computations and independent brute-force or stdlib methods."""

import math
import random
import statistics

import pytest

from analytics.statistics import (
    ItemAccumulator,
    RunningMoments,
    deviation_score,
    facility,
    percentile_rank,
    point_biserial,
    rank,
    suspect_flags,
)

# --- 偏差値, percentile, rank ---------------------------------------------------------------------------------------


def test_deviation_score_above_and_below_the_mean():
    assert deviation_score(70, mean=60, sd=10) == pytest.approx(60)  # 50 + 10·(70−60)/10
    assert deviation_score(45, mean=60, sd=10) == pytest.approx(35)  # 50 + 10·(45−60)/10
    assert deviation_score(66, mean=60, sd=4) == pytest.approx(65)  # 50 + 10·6/4
    assert deviation_score(60, mean=60, sd=10) == pytest.approx(50)  # at the mean


def test_deviation_score_is_none_without_spread_or_cohort():
    assert deviation_score(70, mean=70, sd=0) is None
    assert deviation_score(70, mean=0, sd=None) is None


COHORT = [40, 50, 50, 60, 70]


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (40, 10.0),  # 0 below, 1 equal: (0 + 0.5)/5·100
        (50, 40.0),  # tie: 1 below, 2 equal: (1 + 1)/5·100
        (55, 60.0),  # not in cohort: 3 below: 3/5·100
        (70, 90.0),  # 4 below, 1 equal: 4.5/5·100
        (30, 0.0),  # below everyone
        (80, 100.0),  # above everyone
    ],
)
def test_percentile_rank_mid_rank(score, expected):
    assert percentile_rank(score, COHORT) == pytest.approx(expected)


def test_percentile_rank_all_tied_is_the_middle():
    assert percentile_rank(50, [50, 50, 50, 50]) == pytest.approx(50.0)  # 0 below, 4 equal: 2/4·100


def test_percentile_rank_of_empty_cohort_is_an_error():
    with pytest.raises(ValueError):
        percentile_rank(50, [])


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (70, 1),  # nobody above
        (60, 2),  # 70 above
        (50, 3),  # 60, 70 above; both 50s share rank 3
        (40, 5),  # four above: after the tie at 3 comes 5, not 4
        (55, 3),  # not in cohort: 60, 70 above
    ],
)
def test_rank_is_competition_ranking(score, expected):
    assert rank(score, COHORT) == expected


def test_rank_in_empty_cohort_is_first():
    assert rank(50, []) == 1


# --- RunningMoments -------------------------------------------------------------------------------------------------

TEXTBOOK = [2, 4, 4, 4, 5, 5, 7, 9]  # mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; variance 32/8 = 4


def moments_of(values) -> RunningMoments:
    m = RunningMoments()
    for v in values:
        m.add(v)
    return m


def test_running_moments_one_by_one_hand_example():
    m = moments_of(TEXTBOOK)
    assert m.count == 8
    assert m.mean == pytest.approx(5)
    assert m.variance == pytest.approx(4)
    assert m.sd == pytest.approx(2)


def test_running_moments_merge_halves_hand_example():
    m = moments_of(TEXTBOOK[:4])  # 2,4,4,4: mean 3.5
    m.merge(moments_of(TEXTBOOK[4:]))  # 5,5,7,9: mean 6.5
    assert m.count == 8
    assert m.mean == pytest.approx(5)
    assert m.sd == pytest.approx(2)


def test_running_moments_match_pstdev_on_random_scores():
    rng = random.Random(20240601)
    scores = [rng.uniform(0, 200) for _ in range(1001)]
    one_by_one = moments_of(scores)
    merged = moments_of(scores[:377])
    merged.merge(moments_of(scores[377:]))
    for m in (one_by_one, merged):
        assert m.count == len(scores)
        assert m.mean == pytest.approx(statistics.fmean(scores), rel=1e-12)
        assert m.sd == pytest.approx(statistics.pstdev(scores), rel=1e-10)


def test_running_moments_empty_and_merging_with_empty():
    empty = RunningMoments()
    assert empty.variance is None
    assert empty.sd is None
    assert deviation_score(70, empty.mean, empty.sd) is None

    empty.merge(RunningMoments())
    assert empty.count == 0

    into_empty = RunningMoments()
    into_empty.merge(moments_of(TEXTBOOK))
    assert (into_empty.count, into_empty.mean, into_empty.sd) == (8, pytest.approx(5), pytest.approx(2))

    unchanged = moments_of(TEXTBOOK)
    unchanged.merge(RunningMoments())
    assert (unchanged.count, unchanged.mean, unchanged.sd) == (8, pytest.approx(5), pytest.approx(2))


def test_single_score_has_zero_spread_so_no_deviation_score():
    m = moments_of([73])
    assert m.sd == 0
    assert deviation_score(73, m.mean, m.sd) is None


# --- facility and point-biserial ------------------------------------------------------------------------------------


def test_facility():
    assert facility(7, 10) == pytest.approx(0.7)
    assert facility(0, 5) == 0
    assert facility(5, 5) == 1
    assert facility(0, 0) is None


def test_point_biserial_hand_example_positive():
    # Right: totals 8, 6 (M1 = 7); wrong: 4, 2 (M0 = 3); mean 5, variance (9+1+1+9)/4 = 5, p = q = 1/2.
    # r = (7 − 3)/√5 · √(1/4) = 2/√5 ≈ 0.894
    assert point_biserial([True, True, False, False], [8, 6, 4, 2]) == pytest.approx(2 / math.sqrt(5))


def test_point_biserial_hand_example_negative():
    # Right: total 2 (M1 = 2); wrong: 5, 8 (M0 = 6.5); mean 5, variance (9+0+9)/3 = 6, p = 1/3.
    # r = −4.5/√6 · √(2/9) = −√3/2 ≈ −0.866
    assert point_biserial([True, False, False], [2, 5, 8]) == pytest.approx(-math.sqrt(3) / 2)


def test_point_biserial_equals_pearson_on_random_data():
    rng = random.Random(7)
    totals = [float(rng.randint(20, 200)) for _ in range(400)]
    # Stronger candidates are likelier to be right, so r is clearly positive.
    correct = [rng.random() < t / 220 for t in totals]
    expected = statistics.correlation([float(c) for c in correct], totals)
    assert expected > 0.2
    assert point_biserial(correct, totals) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("correct", "totals"),
    [
        ([True], [10]),  # n < 2
        ([], []),  # no responses
        ([True, True, True], [1, 2, 3]),  # item does not vary
        ([False, False], [1, 2]),  # item does not vary
        ([True, False, True], [5, 5, 5]),  # totals do not vary
    ],
)
def test_point_biserial_undefined(correct, totals):
    assert point_biserial(correct, totals) is None


def test_point_biserial_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        point_biserial([True, False], [1, 2, 3])


# --- ItemAccumulator ------------------------------------------------------------------------------------------------

# Four responses to a 4-choice single-answer item whose key is position 0.
HAND_RESPONSES = [(True, 8, [0]), (True, 6, [0]), (False, 4, [1]), (False, 2, [2])]


def accumulate(responses) -> ItemAccumulator:
    acc = ItemAccumulator()
    for correct, total, chosen in responses:
        acc.add(correct, total, chosen)
    return acc


def test_item_accumulator_hand_example():
    acc = accumulate(HAND_RESPONSES)
    assert (acc.n, acc.n_correct) == (4, 2)
    assert (acc.sum_total, acc.sum_total_sq, acc.sum_total_correct) == (20, 120, 14)  # 8+6+4+2; 64+36+16+4; 8+6
    assert acc.facility == pytest.approx(0.5)  # 2/4
    assert acc.discrimination == pytest.approx(2 / math.sqrt(5))  # same data as the hand point-biserial above
    assert acc.choice_shares() == {0: 0.5, 1: 0.25, 2: 0.25}  # 2/4, 1/4, 1/4
    assert acc.choice_shares(n_choices=4) == {0: 0.5, 1: 0.25, 2: 0.25, 3: 0.0}  # position 3 never picked


def test_item_accumulator_select_all_shares_can_sum_above_one():
    acc = accumulate([(True, 10, [0, 2]), (False, 6, [0]), (False, 3, [1, 2, 3])])
    # Position 0: 2 of 3 responses; 1: 1/3; 2: 2/3; 3: 1/3.
    assert acc.choice_shares() == pytest.approx({0: 2 / 3, 1: 1 / 3, 2: 2 / 3, 3: 1 / 3})
    assert sum(acc.choice_shares().values()) == pytest.approx(2)  # 6 picks over 3 responses


def test_item_accumulator_merge_equals_accumulating_everything():
    whole = accumulate(HAND_RESPONSES)
    merged = accumulate(HAND_RESPONSES[:1])
    merged.merge(accumulate(HAND_RESPONSES[1:]))
    assert merged == whole


def test_item_accumulator_matches_point_biserial_on_random_data():
    rng = random.Random(11)
    responses = []
    for _ in range(600):
        total = rng.randint(0, 150)
        correct = rng.random() < 0.2 + total / 250
        chosen = [0] if correct else [rng.choice([1, 2, 3])]
        responses.append((correct, total, chosen))
    halves = accumulate(responses[:250])
    halves.merge(accumulate(responses[250:]))
    correct = [c for c, _, _ in responses]
    totals = [float(t) for _, t, _ in responses]
    pearson = statistics.correlation([float(c) for c in correct], totals)
    for acc in (accumulate(responses), halves):
        assert acc.facility == pytest.approx(sum(correct) / len(correct))
        assert acc.discrimination == pytest.approx(point_biserial(correct, totals), rel=1e-9)
        assert acc.discrimination == pytest.approx(pearson, rel=1e-9)
        assert sum(acc.choice_shares().values()) == pytest.approx(1)  # single-answer: one pick per response


def test_item_accumulator_undefined_cases():
    empty = ItemAccumulator()
    assert empty.facility is None
    assert empty.discrimination is None
    assert empty.choice_shares() == {}
    assert empty.choice_shares(n_choices=2) == {0: 0.0, 1: 0.0}
    assert accumulate([(True, 5, [0])]).discrimination is None  # n < 2
    assert accumulate([(True, 5, [0]), (True, 9, [0])]).discrimination is None  # everyone right
    assert accumulate([(True, 5, [0]), (False, 5, [1])]).discrimination is None  # totals do not vary


# --- suspect_flags --------------------------------------------------------------------------------------------------

HEALTHY_SHARES = {0: 0.6, 1: 0.2, 2: 0.1, 3: 0.1}


def test_healthy_item_has_no_flags():
    assert suspect_flags(0.6, 0.35, HEALTHY_SHARES, responses=100) == []


def test_too_few_responses_are_not_judged():
    awful = {0: 0.99, 1: 0.01, 2: 0.0}
    assert suspect_flags(0.99, -0.5, awful, responses=29) == []
    all_three = ["negative_discrimination", "too_easy", "unused_distractor"]
    assert suspect_flags(0.99, -0.5, awful, responses=30) == all_three
    assert suspect_flags(0.99, -0.5, awful, responses=5, min_responses=5) != []


@pytest.mark.parametrize(
    ("discrimination", "expected"),
    [
        (-0.05, ["negative_discrimination"]),
        (0.0, ["low_discrimination"]),  # 0 ≤ d < 0.1
        (0.099, ["low_discrimination"]),
        (0.1, []),  # boundary is not low
        (None, []),  # undefined: nothing to judge
    ],
)
def test_discrimination_flags(discrimination, expected):
    assert suspect_flags(0.6, discrimination, HEALTHY_SHARES, responses=100) == expected


@pytest.mark.parametrize(
    ("item_facility", "expected"),
    [
        (0.96, ["too_easy"]),
        (0.95, []),  # boundary: > 0.95 only
        (0.2, []),  # boundary: < 0.2 only
        (0.19, ["too_hard"]),
        (None, []),
    ],
)
def test_facility_flags(item_facility, expected):
    assert suspect_flags(item_facility, 0.35, HEALTHY_SHARES, responses=100) == expected


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ({0: 0.7, 1: 0.28, 2: 0.02}, []),  # boundary: < 0.02 only
        ({0: 0.7, 1: 0.281, 2: 0.019}, ["unused_distractor"]),
        ({0: 0.7, 1: 0.3, 2: 0.0}, ["unused_distractor"]),  # never picked, listed as 0.0
    ],
)
def test_unused_distractor_flag(shares, expected):
    assert suspect_flags(0.6, 0.35, shares, responses=100) == expected


def test_a_select_all_question_most_people_nearly_get_is_not_too_hard():
    # Keys 1 and 2: 90% choose each key and 10% each distractor, yet only 15% get all four right.
    shares, keys = {1: 0.9, 2: 0.9, 3: 0.1, 4: 0.1}, {1, 2}
    assert suspect_flags(0.15, 0.3, shares, 100, keys=keys) == []
    # Options mostly treated wrongly too: too hard.
    assert suspect_flags(0.15, 0.3, {1: 0.3, 2: 0.4, 3: 0.6, 4: 0.5}, 100, keys=keys) == ["too_hard"]
    # A single-answer question is judged on its rate, as before.
    assert suspect_flags(0.15, 0.3, {1: 0.15, 2: 0.3, 3: 0.3, 4: 0.25}, 100) == ["too_hard"]
