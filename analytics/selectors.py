"""Reads for result reports and history. Each runs a fixed number of queries, whatever the number of
questions or past attempts."""

from dataclasses import dataclass, field
from datetime import datetime

from exams.models import Attempt, AttemptAreaResult, AttemptItem, Blueprint
from questions.models import VersionChoice

from .models import AreaNorm, BlueprintNorm, ItemStat
from .statistics import PassChance, RunningMoments, deviation_score, pass_chance

# Standing among examinees is shown only once the cohort is large enough to mean something.
MIN_COHORT = 30
# 優先復習: missed questions that at least this share of examinees (with enough responses) got right.
PRIORITY_FACILITY = 0.8
PRIORITY_MIN_RESPONSES = 10
WEAKEST = 3


@dataclass
class AreaRow:
    area_id: int
    code: str
    name: str
    is_top: bool
    report_area: str
    keywords: list[str]
    correct: int
    total: int
    cohort_rate: float | None = None
    previous_rate: float | None = None

    @property
    def rate(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def gap(self) -> float | None:
        return None if self.cohort_rate is None else self.rate - self.cohort_rate


@dataclass
class ReviewChoice:
    number: int
    html: str
    is_correct: bool
    chosen: bool
    share: float | None = None  # of examinees who picked it


@dataclass
class ReviewItem:
    number: int
    area_name: str
    kind: str
    stimulus_html: str
    stem_html: str
    explanation_html: str
    choices: list[ReviewChoice]
    is_correct: bool | None
    flagged: bool
    answered_at: datetime | None = None
    facility: float | None = None
    withheld: bool = False  # also in one of the candidate's open attempts: key and 解説 wait for its submit

    @property
    def answered(self) -> bool:
        return any(c.chosen for c in self.choices)


@dataclass
class Standing:
    examinees: int
    mean: float
    deviation: float | None  # 偏差値
    percentile: float  # share of examinees scoring below (ties count half), in %
    rank: int


@dataclass
class Pace:
    seconds_per_question: float
    worst_lag_seconds: float  # how far behind the even pace the candidate fell at the worst point
    worst_at: int | None  # the question number answered at that point
    points: list[tuple[int, float, float]] = field(default_factory=list)  # (k-th answer, elapsed share, pace share)


def previous_attempt(*, attempt: Attempt) -> Attempt | None:
    return (
        Attempt.objects.filter(
            user_id=attempt.user_id,
            blueprint_id=attempt.blueprint_id,
            status=Attempt.Status.SCORED,
            started_at__lt=attempt.started_at,
        )
        .order_by("-started_at")
        .first()
    )


def area_rows(*, attempt: Attempt, previous: Attempt | None = None) -> list[AreaRow]:
    """The attempt's per-area results with the cohort's rate and the previous attempt's: three queries."""
    cohort = {n.area_id: n.rate for n in AreaNorm.objects.filter(blueprint_id=attempt.blueprint_id)}
    before = {}
    if previous:
        before = {
            r.area_id: r.correct / r.total
            for r in AttemptAreaResult.objects.filter(attempt=previous).only("area_id", "correct", "total")
            if r.total
        }
    rows = (
        AttemptAreaResult.objects.filter(attempt=attempt).select_related("area").order_by("area__order", "area__code")
    )
    return [
        AreaRow(
            r.area_id,
            r.area.code,
            r.area.name,
            r.area.parent_id is None,
            r.area.report_area,
            r.area.keywords,
            r.correct,
            r.total,
            cohort.get(r.area_id),
            before.get(r.area_id),
        )
        for r in rows
    ]


def report_area_rollup(rows: list[AreaRow]) -> list[tuple[str, int, int]]:
    """E資格: the top-level results summed into JDLA's reported areas (応用数学, 機械学習, 深層学習, 開発環境)."""
    rollup: dict[str, list[int]] = {}
    for row in rows:
        if row.is_top and row.report_area:
            rollup.setdefault(row.report_area, [0, 0])
            rollup[row.report_area][0] += row.correct
            rollup[row.report_area][1] += row.total
    return [(name, c, t) for name, (c, t) in rollup.items()]


def weakest_areas(rows: list[AreaRow], limit: int = WEAKEST) -> list[AreaRow]:
    """Leaf areas furthest below the cohort (or, before there is a cohort, with the lowest rate)."""
    leaves = [r for r in rows if not r.is_top and r.total]
    leaves.sort(key=lambda r: (r.gap if r.gap is not None else r.rate - 1, r.rate))
    return [r for r in leaves[:limit] if r.rate < 1]


def cohort_norm(*, attempt: Attempt) -> BlueprintNorm | None:
    """The blueprint's score distribution, once the cohort is large enough to compare with."""
    norm = BlueprintNorm.objects.filter(blueprint_id=attempt.blueprint_id).first()
    if attempt.blueprint.is_drill or norm is None or norm.count < MIN_COHORT:
        return None
    return norm


def score_bands(norm: BlueprintNorm, question_count: int, bands: int = 10) -> list[int]:
    """Attempts per score band (0–10%, 10–20%, …; a perfect score falls in the last band)."""
    counts = [0] * bands
    for correct, n in norm.correct_counts.items():
        counts[min(int(int(correct) / question_count * bands), bands - 1)] += n
    return counts


def standing(*, attempt: Attempt, norm: BlueprintNorm | None) -> Standing | None:
    if norm is None:
        return None
    counts = {int(k): v for k, v in norm.correct_counts.items()}
    below = sum(n for c, n in counts.items() if c < attempt.correct_count)
    above = sum(n for c, n in counts.items() if c > attempt.correct_count)
    equal = counts.get(attempt.correct_count, 0)
    sd = RunningMoments(count=norm.count, mean=norm.mean, m2=norm.m2).sd
    return Standing(
        examinees=norm.count,
        mean=norm.mean,
        deviation=deviation_score(attempt.score, norm.mean, sd),
        percentile=(below + 0.5 * equal) / norm.count * 100,
        rank=above + 1,
    )


def chance_to_pass(*, attempt: Attempt) -> PassChance:
    """From this attempt alone: what a fresh form of the same size would likely give (see the page's note)."""
    return pass_chance(attempt.correct_count, attempt.question_count, attempt.pass_ratio, attempt.question_count)


def review_items(*, attempt: Attempt) -> list[ReviewItem]:
    """Every question with the candidate's answer, the key, the explanation and the share of examinees
    choosing each option: only after submit. Three queries."""
    if attempt.status == Attempt.Status.OPEN:
        raise ValueError("the key is never shown for an open attempt")
    rows = list(
        AttemptItem.objects.filter(attempt=attempt)
        .order_by("position")
        .values_list(
            "position",
            "version_id",
            "area__name",
            "version__kind",
            "version__stimulus_html",
            "version__stem_html",
            "version__explanation_html",
            "choice_order",
            "selected",
            "is_correct",
            "flagged",
            "answered_at",
        )
    )
    versions = {row[1] for row in rows}
    choices = {
        pk: (html, correct)
        for pk, html, correct in VersionChoice.objects.filter(version_id__in=versions).values_list(
            "pk", "text_html", "is_correct"
        )
    }
    stats = {s.version_id: s for s in ItemStat.objects.filter(version_id__in=versions)}
    # A question also drawn into an attempt the candidate still has open (e.g. a drill beside a full mock)
    # must not have its key shown here before that one is submitted.
    withheld = set(
        AttemptItem.objects.filter(
            attempt__user_id=attempt.user_id, attempt__status=Attempt.Status.OPEN, version_id__in=versions
        ).values_list("version_id", flat=True)
    )
    review = []
    for number, vid, area, kind, stimulus, stem, explanation, order, selected, correct, flagged, at in rows:
        hidden = vid in withheld
        stat = None if hidden else stats.get(vid)
        review.append(
            ReviewItem(
                number=number,
                area_name=area,
                kind=kind,
                stimulus_html=stimulus,
                stem_html=stem,
                explanation_html="" if hidden else explanation,
                choices=[
                    ReviewChoice(
                        n + 1,
                        choices[cid][0],
                        choices[cid][1] and not hidden,
                        n in selected,
                        stat.share_of(cid) if stat else None,
                    )
                    for n, cid in enumerate(order)
                ],
                is_correct=None if hidden else correct,
                flagged=flagged,
                answered_at=at,
                facility=stat.facility if stat and stat.responses >= PRIORITY_MIN_RESPONSES else None,
                withheld=hidden,
            )
        )
    return review


def priority_review(items: list[ReviewItem]) -> list[ReviewItem]:
    """優先復習: missed questions most examinees get right: the cheapest points to win back."""
    return [
        i
        for i in items
        if not i.withheld and not i.is_correct and i.facility is not None and i.facility >= PRIORITY_FACILITY
    ]


def pace(*, attempt: Attempt, items: list[ReviewItem]) -> Pace | None:
    """Time per question from autosave timestamps, against an even pace over the whole time."""
    answered = sorted((i for i in items if i.answered and i.answered_at), key=lambda i: i.answered_at)
    if not answered:
        return None
    total_seconds = (attempt.deadline - attempt.started_at).total_seconds()
    per_question = total_seconds / attempt.question_count
    worst_lag, worst_at, points = 0.0, None, []
    for k, item in enumerate(answered, start=1):
        elapsed = (item.answered_at - attempt.started_at).total_seconds()
        lag = elapsed - k * per_question
        if lag > worst_lag:
            worst_lag, worst_at = lag, item.number
        points.append((k, min(elapsed / total_seconds, 1.0), min(k * per_question / total_seconds, 1.0)))
    return Pace(per_question, worst_lag, worst_at, points)


def history(*, user, blueprint_slug: str | None = None, limit: int = 20):
    """The candidate's scored attempts (newest first), the blueprint to chart, and its last attempts'
    per-area rates, in three queries."""
    attempts = list(
        Attempt.objects.filter(user=user, status=Attempt.Status.SCORED)
        .select_related("blueprint")
        .order_by("-started_at")[:200]
    )
    blueprints: dict[str, Blueprint] = {}
    for a in attempts:
        blueprints.setdefault(a.blueprint.slug, a.blueprint)
    chosen = blueprints.get(blueprint_slug) or (attempts[0].blueprint if attempts else None)
    trend = [a for a in attempts if chosen and a.blueprint_id == chosen.pk][:limit][::-1]  # oldest first
    area_trend: dict[str, dict[int, float]] = {}
    for r in (
        AttemptAreaResult.objects.filter(attempt__in=[a.pk for a in trend], area__parent=None)
        .select_related("area")
        .order_by("area__order")
    ):
        area_trend.setdefault(r.area.name, {})[r.attempt_id] = r.correct / r.total if r.total else 0.0
    return attempts, list(blueprints.values()), chosen, trend, area_trend
