"""Statistics for result reports (偏差値, percentile, pass chance) and item analysis (正答率, discrimination).

Pure functions and small accumulators over plain numbers, so they can run in a view, a Celery task or a
migration alike, and so cohort norms and item statistics can be kept up to date incrementally.
"""

import math
import statistics
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

# --- Result reports ------------------------------------------------------------------------------------------------


def deviation_score(x: float, mean: float, sd: float | None) -> float | None:
    """偏差値 = 50 + 10·(x − μ)/σ. None when the cohort has no spread (σ = 0) or is empty (σ is None)."""
    if not sd:
        return None
    return 50 + 10 * (x - mean) / sd


def percentile_rank(score: float, sorted_scores: list[float]) -> float:
    """Percentage of the cohort scoring below `score`, ties counted as half (mid-rank), so equal scores agree."""
    if not sorted_scores:
        raise ValueError("percentile rank of an empty cohort is undefined")
    below = bisect_left(sorted_scores, score)
    equal = bisect_right(sorted_scores, score) - below
    return (below + 0.5 * equal) / len(sorted_scores) * 100


def rank(score: float, sorted_scores: list[float]) -> int:
    """Competition rank (1 = best): 1 + number of strictly higher scores, so tied candidates share the best rank."""
    return 1 + len(sorted_scores) - bisect_right(sorted_scores, score)


@dataclass
class RunningMoments:
    """Count, mean and sum of squared deviations (Welford), so cohort norms update without rereading all scores."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, x: float) -> None:
        self.count += 1
        delta = x - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (x - self.mean)

    def merge(self, other: "RunningMoments") -> None:
        """Fold in another batch (Chan et al.), e.g. norms computed per organization or per day."""
        count = self.count + other.count
        if not count:
            return
        delta = other.mean - self.mean
        self.mean += delta * other.count / count
        self.m2 += other.m2 + delta * delta * self.count * other.count / count
        self.count = count

    @property
    def variance(self) -> float | None:
        """Population variance: the cohort is the whole reference group, not a sample of one."""
        return self.m2 / self.count if self.count else None

    @property
    def sd(self) -> float | None:
        variance = self.variance
        return None if variance is None else math.sqrt(variance)


# --- Item statistics -----------------------------------------------------------------------------------------------


def facility(correct: int, responses: int) -> float | None:
    """正答率: share of responses that were correct. None before anyone has answered."""
    return correct / responses if responses else None


def point_biserial(item_correct: list[bool], totals: list[float]) -> float | None:
    """Discrimination: correlation of item correctness with the candidates' total score.

    The total is used as given, item included (not the rest score), which inflates r slightly on short forms.
    None when there are fewer than two responses or when either the item or the totals do not vary.
    """
    if len(item_correct) != len(totals):
        raise ValueError("item_correct and totals must have the same length")
    n = len(totals)
    right = [t for c, t in zip(item_correct, totals, strict=True) if c]
    wrong = [t for c, t in zip(item_correct, totals, strict=True) if not c]
    if n < 2 or not right or not wrong:
        return None
    s = statistics.pstdev(totals)
    if s == 0:
        return None
    p = len(right) / n
    return (statistics.fmean(right) - statistics.fmean(wrong)) / s * math.sqrt(p * (1 - p))


@dataclass
class ItemAccumulator:
    """Sufficient statistics of one item's responses: facility, discrimination and choice shares, mergeable."""

    n: int = 0
    n_correct: int = 0
    sum_total: float = 0.0
    sum_total_sq: float = 0.0
    sum_total_correct: float = 0.0
    picks: dict[int, int] = field(default_factory=dict)

    def add(self, correct: bool, total: float, chosen: list[int]) -> None:
        """One response: whether it was right, the candidate's total score, and the choice positions picked."""
        self.n += 1
        self.n_correct += bool(correct)
        self.sum_total += total
        self.sum_total_sq += total * total
        self.sum_total_correct += total if correct else 0.0
        for position in chosen:
            self.picks[position] = self.picks.get(position, 0) + 1

    def merge(self, other: "ItemAccumulator") -> None:
        self.n += other.n
        self.n_correct += other.n_correct
        self.sum_total += other.sum_total
        self.sum_total_sq += other.sum_total_sq
        self.sum_total_correct += other.sum_total_correct
        for position, count in other.picks.items():
            self.picks[position] = self.picks.get(position, 0) + count

    @property
    def facility(self) -> float | None:
        return facility(self.n_correct, self.n)

    @property
    def discrimination(self) -> float | None:
        """Point-biserial r = (M1 − M0)/s · √(pq), from sums only; equals point_biserial() on the same responses."""
        n, k = self.n, self.n_correct
        if n < 2 or k in (0, n):
            return None
        variance = self.sum_total_sq / n - (self.sum_total / n) ** 2
        if variance <= 1e-12 * self.sum_total_sq / n:  # no spread, up to rounding in the sums
            return None
        m1 = self.sum_total_correct / k
        m0 = (self.sum_total - self.sum_total_correct) / (n - k)
        p = k / n
        return (m1 - m0) / math.sqrt(variance) * math.sqrt(p * (1 - p))

    def choice_shares(self, n_choices: int = 0) -> dict[int, float]:
        """Share of responses that picked each position (select-all responses pick several, so shares may sum > 1).

        Pass `n_choices` to list never-picked positions 0..n_choices-1 with 0.0, as suspect_flags() expects.
        """
        positions = sorted(set(range(n_choices)) | self.picks.keys())
        return {p: self.picks.get(p, 0) / self.n if self.n else 0.0 for p in positions}


def suspect_flags(
    facility: float | None,
    discrimination: float | None,
    choice_shares: dict[int, float],
    responses: int,
    min_responses: int = 30,
) -> list[str]:
    """Machine codes for items an editor should review; none below `min_responses`, where noise dominates."""
    if responses < min_responses:
        return []
    flags = []
    if discrimination is not None:
        if discrimination < 0:
            flags.append("negative_discrimination")
        elif discrimination < 0.1:
            flags.append("low_discrimination")
    if facility is not None:
        if facility > 0.95:
            flags.append("too_easy")
        elif facility < 0.2:
            flags.append("too_hard")
    if any(share < 0.02 for share in choice_shares.values()):
        flags.append("unused_distractor")
    return flags


# --- Pass chance ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PassChance:
    probability: float  # of reaching the pass line on a fresh form
    low: float  # 10th percentile of the true correct rate
    high: float  # 90th percentile of the true correct rate


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function, modified Lentz (Numerical Recipes `betacf`)."""
    tiny = 1e-300

    def guard(v: float) -> float:
        return v if abs(v) > tiny else tiny

    c, d = 1.0, 1 / guard(1 - (a + b) * x / (a + 1))
    h = d
    for m in range(1, 1000):
        even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        for coefficient in (even, odd):
            d = 1 / guard(1 + coefficient * d)
            c = guard(1 + coefficient / c)
            h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return h


def beta_cdf(x: float, a: float, b: float) -> float:
    """Regularized incomplete beta I_x(a, b): P(p ≤ x) for p ~ Beta(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - _log_beta(a, b))
    if x < (a + 1) / (a + b + 2):  # the fraction converges fast on this side; use symmetry on the other
        return front * _beta_continued_fraction(a, b, x) / a
    return 1 - front * _beta_continued_fraction(b, a, 1 - x) / b


def beta_quantile(q: float, a: float, b: float) -> float:
    """x with I_x(a, b) = q, by bisection (the CDF is monotone; 60 halvings is well below 1e-15)."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if beta_cdf(mid, a, b) < q else (lo, mid)
    return (lo + hi) / 2


def _beta_binomial_at_least(k: int, n: int, a: float, b: float) -> float:
    """P(X ≥ k) for X ~ Beta-Binomial(n, a, b), summing the exact pmf in log space."""
    log_norm = math.lgamma(n + 1) - _log_beta(a, b)
    return sum(
        math.exp(log_norm - math.lgamma(x + 1) - math.lgamma(n - x + 1) + _log_beta(x + a, n - x + b))
        for x in range(max(k, 0), n + 1)
    )


def pass_chance(correct: int, answered_total: int, pass_ratio: float, form_size: int) -> PassChance:
    """Chance of clearing the pass line on a fresh `form_size`-question form, from the answers so far.

    Beta(1, 1) prior on the true correct rate, Beta(correct + 1, wrong + 1) posterior, and the form score as a
    Beta-Binomial draw, so a small sample gives a cautious estimate and a wide interval instead of false precision.
    Assumes the fresh form is as hard as the questions answered so far.
    """
    if not 0 <= correct <= answered_total or form_size < 1 or not 0 <= pass_ratio <= 1:
        raise ValueError("need 0 ≤ correct ≤ answered_total, form_size ≥ 1 and 0 ≤ pass_ratio ≤ 1")
    a, b = correct + 1, answered_total - correct + 1
    pass_mark = math.ceil(pass_ratio * form_size - 1e-9)  # 0.55 × 100 is 55.00000000000001 in floating point
    probability = min(1.0, _beta_binomial_at_least(pass_mark, form_size, a, b))
    return PassChance(probability, beta_quantile(0.1, a, b), beta_quantile(0.9, a, b))
