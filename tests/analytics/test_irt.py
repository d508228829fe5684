"""common.irt against hand computations, closed forms and simulation with known truth."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from common import irt


def test_a_blind_guess_scores_one_in_the_choices_or_one_in_every_non_empty_subset():
    assert irt.guessing(4, False) == 0.25
    assert irt.guessing(3, False) == pytest.approx(1 / 3)
    assert irt.guessing(4, True) == pytest.approx(1 / 15)  # all-or-nothing over 2⁴ − 1 possible answers


def test_probability_is_the_constrained_3pl():
    # At θ = b the logistic is ½, so P = c + (1 − c)/2.
    assert irt.probability(0.5, np.array([1.3]), np.array([0.5]), np.array([0.25]))[0] == pytest.approx(0.625)
    # Far below b it falls to the guessing floor, far above to 1.
    p = irt.probability(np.array([-50.0, 50.0]), np.array([1.0]), np.array([0.0]), np.array([0.2]))
    assert p[:, 0] == pytest.approx([0.2, 1.0])


def test_scaled_score_is_500_at_the_mean_and_100_per_standard_deviation_clipped():
    assert irt.scaled_score(0) == 500
    assert irt.scaled_score(1.234) == 623
    assert (irt.scaled_score(-9), irt.scaled_score(9)) == (0, 1000)


def test_eap_with_no_answers_is_the_prior():
    ability = irt.eap([], np.array([]), np.array([]), np.array([]))
    assert (ability.theta, ability.se) == (0.0, 1.0)


def test_eap_matches_a_brute_force_posterior():
    a, b, c = np.array([1.0, 1.5, 0.7]), np.array([-1.0, 0.0, 1.0]), np.array([0.25, 0.25, 0.2])
    correct = [True, True, False]
    grid = np.linspace(-8, 8, 40001)
    p = c + (1 - c) / (1 + np.exp(-a * (grid[:, None] - b)))
    posterior = norm.pdf(grid) * np.prod(np.where(correct, p, 1 - p), axis=1)
    mean = np.sum(grid * posterior) / posterior.sum()
    sd = math.sqrt(np.sum((grid - mean) ** 2 * posterior) / posterior.sum())
    ability = irt.eap(correct, a, b, c)
    assert ability.theta == pytest.approx(mean, abs=0.01)  # the 41-point quadrature against a fine grid
    assert ability.se == pytest.approx(sd, abs=0.01)


def test_more_right_answers_mean_more_ability_and_more_answers_a_narrower_estimate():
    a, b, c = np.ones(40), np.zeros(40), np.full(40, 0.25)
    abilities = [irt.eap([k < right for k in range(40)], a, b, c).theta for right in (10, 20, 30, 40)]
    assert abilities == sorted(abilities)
    short = irt.eap([True] * 5 + [False] * 5, a[:10], b[:10], c[:10])
    long = irt.eap([True] * 20 + [False] * 20, a, b, c)
    assert long.se < short.se


def test_calibration_recovers_known_item_parameters():
    rng = np.random.default_rng(5)
    persons, items = 3000, 30
    theta = rng.normal(size=persons)
    a, b, c = np.exp(rng.normal(0, 0.3, items)), rng.normal(0, 1, items), np.full(items, 0.25)
    person, item = np.repeat(np.arange(persons), items), np.tile(np.arange(items), persons)
    right = rng.random(persons * items) < irt.probability(theta, a, b, c)[person, item]
    fit = irt.calibrate(person, item, right, c=c, b_prior=np.zeros(items))
    assert np.sqrt(np.mean((fit.b - b) ** 2)) < 0.2
    assert np.sqrt(np.mean((fit.a - a) ** 2)) < 0.2
    assert np.corrcoef(fit.b, b)[0, 1] > 0.97


def test_an_item_nobody_has_answered_keeps_its_authors_difficulty():
    rng = np.random.default_rng(6)
    person = np.repeat(np.arange(200), 2)
    item = np.tile([0, 1], 200)  # item 2 is never answered
    right = rng.random(400) < 0.6
    fit = irt.calibrate(person, item, right, c=np.full(3, 0.25), b_prior=np.array([0.0, 0.0, 1.5]))
    assert fit.b[2] == pytest.approx(1.5)
    assert fit.a[2] == pytest.approx(1.0)


def test_at_the_cut_the_chance_of_passing_is_a_half_and_the_interval_surrounds_it():
    standard = irt.Standard(cut=0.2, tau=0.3, covariance=((0.04, 0.0), (0.0, 0.01)), source="results", results=80)
    p, low, high = standard.probability(0.2, 0.3)
    assert p == pytest.approx(0.5)
    assert low < p < high
    # Φ((θ − cut) / √(se² + τ²)): one spread above the cut is Φ(1).
    p, _, _ = standard.probability(0.2 + math.sqrt(0.3**2 + 0.3**2), 0.3)
    assert p == pytest.approx(norm.cdf(1))


def test_a_less_certain_standard_gives_a_wider_interval():
    sure = irt.Standard(0.0, 0.3, ((0.001, 0.0), (0.0, 0.001)), "results", 500)
    unsure = irt.Standard(0.0, 0.3, ((0.2, 0.0), (0.0, 0.1)), "results", 20)
    _, low_sure, high_sure = sure.probability(0.8, 0.3)
    _, low_unsure, high_unsure = unsure.probability(0.8, 0.3)
    assert high_unsure - low_unsure > 3 * (high_sure - low_sure)


def test_the_assumed_standard_reproduces_the_published_pass_rate_and_says_it_is_assumed():
    standard = irt.assumed_standard(0.8)
    assert standard.source == "assumed"
    assert norm.cdf(-standard.cut) == pytest.approx(0.8)  # N(0, 1) examinees above the cut
    rng = np.random.default_rng(1)
    abilities = rng.normal(0.5, 0.8, 5000)
    assert np.mean(abilities > irt.assumed_standard(0.8, list(abilities)).cut) == pytest.approx(0.8, abs=0.02)


def test_the_standard_is_recovered_from_real_results():
    rng = np.random.default_rng(2)
    theta = rng.normal(size=4000)
    se = np.full(4000, 0.3)
    estimate = theta + rng.normal(0, 0.3, 4000)
    passed = theta + rng.normal(0, 0.4, 4000) > -0.5
    standard = irt.fit_standard(estimate, se, passed)
    assert standard.source == "results" and standard.results == 4000
    assert standard.cut == pytest.approx(-0.5, abs=0.08)
    assert standard.tau == pytest.approx(0.4, abs=0.1)
    assert standard.covariance[0][0] < 0.01  # many results: a sure cut


def test_brier_log_loss_and_reliability_by_hand():
    assert irt.brier([1.0, 0.0, 0.5], [True, False, True]) == pytest.approx(0.25 / 3)
    assert irt.log_loss([0.8, 0.3], [True, False]) == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2)
    assert irt.log_loss([0.0], [True]) == pytest.approx(math.log(100))  # floored at 1%, not infinite
    bins = irt.reliability([0.05, 0.15, 0.12, 0.95], [False, True, False, True])
    assert bins == [(0.05, 0.0, 1), (pytest.approx(0.135), 0.5, 2), (0.95, 1.0, 1)]


def test_expected_passes_adds_chance_and_the_standards_shared_uncertainty():
    # 100 people at p = ½ and a perfectly known standard: Binomial(100, ½), sd 5.
    expected, low, high = irt.expected_passes(100, 50.0, 25.0, 0.0)
    assert expected == 50
    assert (low, high) == (pytest.approx(50 - irt.Z80 * 5), pytest.approx(50 + irt.Z80 * 5))
    # An uncertain standard moves everyone together: its spread adds in full, not as √n.
    # Each person's 80% interval is 0.2 wide (sd 0.2 / 2z): together sd 100 × that, against √100 for chance.
    _, low_wide, high_wide = irt.expected_passes(100, 50.0, 25.0, 100 * 0.2)
    shared_sd = 100 * 0.2 / (2 * irt.Z80)
    assert high_wide - low_wide == pytest.approx(2 * irt.Z80 * math.sqrt(25 + shared_sd**2))
    # Never below 0 or above the number sitting.
    assert irt.expected_passes(3, 2.9, 0.1, 3.0)[2] == 3.0
