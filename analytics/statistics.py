"""Statistics for result reports (偏差値, percentile) and item analysis (正答率, discrimination).

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


def option_agreement(choice_shares: dict[int, float], keys: set[int]) -> float:
    """How often an option was treated rightly, on average over the options: a key chosen, a distractor left.
    For a select-all question scored all-or-nothing, most people can treat most options rightly while few get
    every one: its full-credit rate alone understates what they know."""
    if not choice_shares:
        return 0.0
    return sum(share if cid in keys else 1 - share for cid, share in choice_shares.items()) / len(choice_shares)


def suspect_flags(
    facility: float | None,
    discrimination: float | None,
    choice_shares: dict[int, float],
    responses: int,
    min_responses: int = 30,
    keys: set[int] | None = None,
) -> list[str]:
    """Machine codes for items an editor should review; none below `min_responses`, where noise dominates.
    `keys` are given for select-all questions: one is too hard only if its options were mostly treated wrongly
    too, not on its all-or-nothing rate alone."""
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
        elif facility < 0.2 and (keys is None or option_agreement(choice_shares, keys) < 0.6):
            flags.append("too_hard")
    if any(share < 0.02 for share in choice_shares.values()):
        flags.append("unused_distractor")
    return flags
