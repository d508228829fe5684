"""Item response theory for Moshi's predictions: pure numpy over plain arrays, so scoring, the nightly calibration,
the benchmark and the tests share one implementation (docs/results.md, "How sure the numbers are").

The model is the two-parameter logistic with a fixed lower asymptote (a constrained 3PL):

    P(correct | θ) = c + (1 − c) / (1 + exp(−a (θ − b)))

with c the chance of a blind guess (1/4 for a single answer among four; 1/15 for a select-all question scored
all-or-nothing over four choices). Items are calibrated by marginal maximum a posteriori estimation (Bock–Aitkin
EM over a fixed quadrature, priors log a ~ N(0, 0.5²) and b ~ N(author's difficulty, 1)), abilities by EAP with
their posterior standard deviation, and the real exam's standard by maximum likelihood on recorded real results:

    P(pass | θ̂, se) = Φ((θ̂ − cut) / √(se² + τ²))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# scipy is imported only where items and standards are fitted (calibrate, fit_standard: Celery's nightly work):
# it is ~70 MB of memory that every web worker would otherwise carry for the normal distribution alone.
NORMAL = NormalDist()
QUADRATURE = np.linspace(-4.0, 4.0, 41)
PRIOR_WEIGHTS = np.exp(-(QUADRATURE**2) / 2) / np.exp(-(QUADRATURE**2) / 2).sum()  # N(0, 1) on the grid
LOG_A_PRIOR_SD = 0.5
B_PRIOR_SD = 1.0
Z80 = NORMAL.inv_cdf(0.9)  # an 80% interval is ±1.2816 standard deviations


def guessing(choices: int, multiple: bool) -> float:
    """The lower asymptote: what a blind guess scores."""
    return 1.0 / (2**choices - 1) if multiple else 1.0 / choices


def prior_difficulty(author_difficulty: int) -> float:
    """An author's 1-5 difficulty on the ability scale (3 is average): the prior before responses arrive."""
    return (author_difficulty - 3) * 0.75


def probability(theta, a, b, c):
    """P(correct) for every θ (rows) and item (columns) when given 1-d arrays of each."""
    theta = np.asarray(theta, dtype=float)[..., None]
    return c + (1 - c) / (1 + np.exp(-a * (theta - b)))


@dataclass(frozen=True)
class Ability:
    theta: float
    se: float

    @property
    def scaled(self) -> int:
        return scaled_score(self.theta)


def scaled_score(theta: float) -> int:
    """The same θ means the same score on every form of an exam: 500 is the calibration population's mean and
    100 its standard deviation (clipped to 0-1000)."""
    return round(min(max(500 + 100 * theta, 0), 1000))


def eap(correct, a, b, c) -> Ability:
    """Expected a posteriori ability and its posterior standard deviation, prior N(0, 1)."""
    correct = np.asarray(correct, dtype=bool)
    if correct.size == 0:
        return Ability(0.0, 1.0)
    p = np.clip(probability(QUADRATURE, a, b, c), 1e-9, 1 - 1e-9)
    log_likelihood = np.where(correct, np.log(p), np.log1p(-p)).sum(axis=1)
    weights = np.exp(log_likelihood - log_likelihood.max()) * PRIOR_WEIGHTS
    weights /= weights.sum()
    theta = float(weights @ QUADRATURE)
    return Ability(theta, float(math.sqrt(max(weights @ (QUADRATURE - theta) ** 2, 1e-12))))


@dataclass
class Calibration:
    a: np.ndarray
    b: np.ndarray
    iterations: int


def calibrate(
    person: np.ndarray,
    item: np.ndarray,
    correct: np.ndarray,
    *,
    c: np.ndarray,
    b_prior: np.ndarray,
    iterations: int = 60,
    tolerance: float = 1e-4,
) -> Calibration:
    """Item parameters from responses (each person's first response to each item), by Bock-Aitkin EM with MAP
    priors. `person` and `item` are 0-based indexes; `c` and `b_prior` are per item."""
    from scipy import sparse

    person, item = np.asarray(person), np.asarray(item)
    correct = np.asarray(correct, dtype=float)
    n_items, n_persons, n_responses = len(c), int(person.max()) + 1, len(person)
    by_person = sparse.csr_matrix((np.ones(n_responses), (person, np.arange(n_responses))), (n_persons, n_responses))
    by_item = sparse.csr_matrix((np.ones(n_responses), (item, np.arange(n_responses))), (n_items, n_responses))
    by_item_right = sparse.csr_matrix((correct, (item, np.arange(n_responses))), (n_items, n_responses))
    log_a, b = np.zeros(n_items), np.asarray(b_prior, dtype=float).copy()
    iteration = 0
    while iteration < iterations:
        iteration += 1
        a = np.exp(log_a)
        p = np.clip(probability(QUADRATURE, a, b, c), 1e-9, 1 - 1e-9).T  # items × quadrature
        per_response = np.where(correct[:, None] > 0, np.log(p[item]), np.log1p(-p[item]))
        log_posterior = by_person @ per_response + np.log(PRIOR_WEIGHTS)
        log_posterior -= log_posterior.max(axis=1, keepdims=True)
        posterior = np.exp(log_posterior)
        posterior /= posterior.sum(axis=1, keepdims=True)
        at_response = posterior[person]
        expected_n = by_item @ at_response  # items × quadrature: expected responses at each ability
        expected_right = by_item_right @ at_response
        step = _fisher_step(log_a, b, c, b_prior, expected_n, expected_right)
        log_a, b = log_a + step[0], b + step[1]
        if max(np.abs(step[0]).max(), np.abs(step[1]).max()) < tolerance:
            break
    return Calibration(np.exp(log_a), b, iteration)


def _fisher_step(log_a, b, c, b_prior, n, r):
    """One damped Fisher-scoring step of every item's (log a, b) at once, on the expected complete-data log
    posterior."""
    a = np.exp(log_a)[:, None]
    logistic = 1 / (1 + np.exp(-a * (QUADRATURE - b[:, None])))
    cc = np.asarray(c)[:, None]
    p = np.clip(cc + (1 - cc) * logistic, 1e-9, 1 - 1e-9)
    slope = (1 - cc) * logistic * (1 - logistic)
    d_log_a = slope * a * (QUADRATURE - b[:, None])
    d_b = -slope * a
    residual = (r - n * p) / (p * (1 - p))
    weight = n / (p * (1 - p))
    g_a = (residual * d_log_a).sum(1) - log_a / LOG_A_PRIOR_SD**2
    g_b = (residual * d_b).sum(1) - (b - b_prior) / B_PRIOR_SD**2
    i_aa = (weight * d_log_a**2).sum(1) + 1 / LOG_A_PRIOR_SD**2
    i_bb = (weight * d_b**2).sum(1) + 1 / B_PRIOR_SD**2
    i_ab = (weight * d_log_a * d_b).sum(1)
    det = i_aa * i_bb - i_ab**2
    step_a = (i_bb * g_a - i_ab * g_b) / det
    step_b = (i_aa * g_b - i_ab * g_a) / det
    return np.clip(step_a, -0.5, 0.5), np.clip(step_b, -0.5, 0.5)


# --- The real exam's standard and the chance of passing -------------------------------------------------------


@dataclass(frozen=True)
class Standard:
    """Where the real exam's pass line sits on the ability scale (cut), how much a real sitting varies around a
    mock's estimate (tau), and how sure these are (their covariance, over cut and log tau)."""

    cut: float
    tau: float
    covariance: tuple[tuple[float, float], tuple[float, float]]
    source: str  # "results": fitted to recorded real results; "assumed": from JDLA's published pass rate
    results: int = 0

    def probability(self, theta: float, se: float) -> tuple[float, float, float]:
        """P(pass) and its 80% interval, from the uncertainty of the standard (delta method)."""
        spread = math.sqrt(se**2 + self.tau**2)
        z = (theta - self.cut) / spread
        gradient = np.array([-1 / spread, -(theta - self.cut) * self.tau**2 / spread**3])
        sd = math.sqrt(max(float(gradient @ np.array(self.covariance) @ gradient), 0.0))
        return NORMAL.cdf(z), NORMAL.cdf(z - Z80 * sd), NORMAL.cdf(z + Z80 * sd)


def assumed_standard(pass_rate: float, abilities: list[float] | None = None) -> Standard:
    """Before there are enough real results: the cut that the published pass rate implies for a population like
    Moshi's examinees (their abilities' mean and spread, or N(0, 1)), with wide uncertainty, labelled as assumed."""
    mean, sd = (float(np.mean(abilities)), float(np.std(abilities))) if abilities and len(abilities) > 1 else (0, 1)
    cut = mean + max(sd, 0.5) * NORMAL.inv_cdf(1 - pass_rate)
    return Standard(cut, 0.5, ((0.35**2, 0.0), (0.0, 0.3**2)), "assumed")


def fit_standard(theta, se, passed) -> Standard:
    """The standard that makes recorded real results most likely given the mocks taken before them."""
    from scipy import optimize
    from scipy.stats import norm

    theta, se, passed = np.asarray(theta, float), np.asarray(se, float), np.asarray(passed, bool)

    def negative_log_likelihood(params):
        cut, log_tau = params
        p = norm.cdf((theta - cut) / np.sqrt(se**2 + np.exp(2 * log_tau)))
        p = np.clip(p, 1e-9, 1 - 1e-9)
        # A weak prior on tau (log tau ~ N(log 0.5, 1)) keeps a small, clean sample from a degenerate fit.
        return -(np.where(passed, np.log(p), np.log1p(-p)).sum()) + (log_tau - math.log(0.5)) ** 2 / 2

    start = np.array([float(np.median(theta)), math.log(0.5)])
    fit = optimize.minimize(negative_log_likelihood, start, method="BFGS")
    covariance = np.asarray(fit.hess_inv, dtype=float)
    covariance_pairs = ((covariance[0, 0], covariance[0, 1]), (covariance[1, 0], covariance[1, 1]))
    return Standard(float(fit.x[0]), float(math.exp(fit.x[1])), covariance_pairs, "results", len(theta))


def brier(predicted, observed) -> float:
    predicted, observed = np.asarray(predicted, float), np.asarray(observed, float)
    return float(np.mean((predicted - observed) ** 2))


def log_loss(predicted, observed, floor: float = 0.01) -> float:
    """Mean negative log likelihood; predictions are floored at 1% so a certain miss costs log(100), not ∞."""
    predicted = np.clip(np.asarray(predicted, float), floor, 1 - floor)
    observed = np.asarray(observed, bool)
    return float(-np.mean(np.where(observed, np.log(predicted), np.log1p(-predicted))))


def reliability(predicted, observed, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean predicted, observed rate, count) per bin of predicted probability, for a reliability diagram."""
    predicted, observed = np.asarray(predicted, float), np.asarray(observed, float)
    index = np.minimum((predicted * bins).astype(int), bins - 1)
    return [
        (float(predicted[index == k].mean()), float(observed[index == k].mean()), int((index == k).sum()))
        for k in range(bins)
        if (index == k).any()
    ]


def expected_passes(
    count: int, p_sum: float, bernoulli_variance: float, width_sum: float
) -> tuple[float, float, float]:
    """Expected passes among `count` people, with an 80% interval, from sums over them (so SQL can add them up):
    of their pass probabilities p, of p(1 − p) (the sitting's own chance: a sum of independent Bernoullis), and
    of their 80% interval widths (the standard's uncertainty moves everyone's probability together, so its
    spreads add: Σ width / 2·1.2816)."""
    sd = math.sqrt(max(bernoulli_variance, 0.0) + (width_sum / (2 * Z80)) ** 2)
    return p_sum, max(0.0, p_sum - Z80 * sd), min(float(count), p_sum + Z80 * sd)
