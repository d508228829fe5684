"""Reads for result reports and history. Each runs a fixed number of queries, whatever the number of
questions or past attempts."""

from dataclasses import dataclass, field
from datetime import datetime

from common import irt
from exams import feed
from exams.models import Attempt, AttemptAreaResult, AttemptItem, Blueprint, PassStandard, QuestionNote
from exams.selectors import withheld_keys
from questions.models import VersionChoice

from .models import AreaNorm, BlueprintNorm, ItemStat
from .services import COHORT
from .statistics import RunningMoments, deviation_score

# Standing among examinees is shown only once the cohort is large enough to mean something.
MIN_COHORT = 30
# 優先復習: missed questions that at least this share of examinees (with enough responses) got right.
PRIORITY_FACILITY = 0.8
PRIORITY_MIN_RESPONSES = 10
WEAKEST = 3
WEAK_EVIDENCE = 3  # answers an area needs before the report calls it weak


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
    question_id: int
    area_code: str
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
    # Key, 解説 and marks not shown yet (exams.selectors.withheld_keys): `withheld` with `released_at` None
    # while an open attempt of the candidate holds the question, or the date an assignment releases them.
    withheld: bool = False
    released_at: datetime | None = None

    @property
    def answered(self) -> bool:
        return any(c.chosen for c in self.choices)

    @property
    def result(self) -> str:
        """right, wrong, blank, or withheld (not shown yet): what the report's filters and answer grid use."""
        if self.withheld:
            return "withheld"
        return "right" if self.is_correct else "wrong" if self.answered else "blank"

    @property
    def top_area(self) -> str:
        return self.area_code.split(".")[0]


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
    """Leaf areas furthest below the cohort (or, before there is a cohort, with the lowest rate), among those
    with at least WEAK_EVIDENCE answers: "0 of 2" is chance, not a weakness. On a short form whose leaves are
    all that thin, the top-level areas instead."""
    for level in ([r for r in rows if not r.is_top], [r for r in rows if r.is_top]):
        candidates = [r for r in level if r.total >= WEAK_EVIDENCE and r.rate < 1]
        if candidates:
            candidates.sort(key=lambda r: (r.gap if r.gap is not None else r.rate - 1, r.rate))
            return candidates[:limit]
    return []


@dataclass
class Cohort:
    """A blueprint's score distribution as the report shows it: attempts per number of correct answers and
    the score's running moments, this attempt always among them."""

    counts: dict[int, int]
    moments: RunningMoments


def cohort(*, attempt: Attempt) -> Cohort | None:
    """The blueprint's cohort, once it is large enough to compare with. The statistics refresh folds an attempt
    in a few minutes after scoring; until then the report counts it itself, so a rank never exceeds the number
    of examinees and the percentile stays within 0–100 at every moment."""
    norm = BlueprintNorm.objects.filter(blueprint_id=attempt.blueprint_id).first()
    if attempt.blueprint.is_drill or norm is None:
        return None
    counts = {int(k): v for k, v in norm.correct_counts.items()}
    moments = RunningMoments(count=norm.count, mean=norm.mean, m2=norm.m2)
    if not feed.has_read(COHORT, attempt):
        counts[attempt.correct_count] = counts.get(attempt.correct_count, 0) + 1
        moments.add(attempt.score)
    return Cohort(counts, moments) if moments.count >= MIN_COHORT else None


def score_bands(cohort: Cohort, question_count: int, bands: int = 10) -> list[int]:
    """Attempts per score band (0–10%, 10–20%, …; a perfect score falls in the last band)."""
    counts = [0] * bands
    for correct, n in cohort.counts.items():
        counts[min(int(correct / question_count * bands), bands - 1)] += n
    return counts


def standing(*, attempt: Attempt, cohort: Cohort | None) -> Standing | None:
    if cohort is None:
        return None
    below = sum(n for c, n in cohort.counts.items() if c < attempt.correct_count)
    above = sum(n for c, n in cohort.counts.items() if c > attempt.correct_count)
    equal = cohort.counts.get(attempt.correct_count, 0)
    count = cohort.moments.count
    return Standing(
        examinees=count,
        mean=cohort.moments.mean,
        deviation=deviation_score(attempt.score, cohort.moments.mean, cohort.moments.sd),
        percentile=(below + 0.5 * equal) / count * 100,
        rank=above + 1,
    )


@dataclass(frozen=True)
class Estimates:
    """What the report says beyond the raw score (exams/estimates.py)."""

    scaled_score: int
    scaled_low: int  # the 80% interval of the scaled score
    scaled_high: int
    provisional: bool  # most questions' difficulty is still their author's
    first_seen_correct: int
    first_seen_total: int
    seen_correct: int
    seen_total: int
    pass_probability: float | None  # full forms only
    pass_low: float | None
    pass_high: float | None
    assumed: bool  # the standard comes from JDLA's published pass rate, not from recorded real results

    @property
    def first_seen_rate(self) -> float | None:
        return self.first_seen_correct / self.first_seen_total if self.first_seen_total else None

    @property
    def seen_rate(self) -> float | None:
        return self.seen_correct / self.seen_total if self.seen_total else None


def estimates(*, attempt: Attempt) -> Estimates | None:
    """The attempt's ability and pass estimates as stored when it was scored; None for one scored before Moshi
    made them."""
    if attempt.ability is None:
        return None
    spread = irt.Z80 * attempt.ability_se
    return Estimates(
        scaled_score=attempt.scaled_score,
        scaled_low=irt.scaled_score(attempt.ability - spread),
        scaled_high=irt.scaled_score(attempt.ability + spread),
        provisional=bool(attempt.ability_provisional),
        first_seen_correct=attempt.first_seen_correct,
        first_seen_total=attempt.first_seen_total,
        seen_correct=attempt.correct_count - attempt.first_seen_correct,
        seen_total=attempt.question_count - attempt.first_seen_total,
        pass_probability=attempt.pass_probability,
        pass_low=attempt.pass_low,
        pass_high=attempt.pass_high,
        assumed=attempt.pass_source == PassStandard.Source.ASSUMED,
    )


def notes_for(*, user, items: list[ReviewItem]) -> dict:
    """The person's bookmarks and notes on the report's questions (one query)."""
    return {
        n.question_id: n for n in QuestionNote.objects.filter(user=user, question_id__in=[i.question_id for i in items])
    }


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
            "version__question_id",
            "area__code",
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
    withheld = withheld_keys(user_id=attempt.user_id)
    review = []
    for number, vid, qid, code, area, kind, stimulus, stem, explanation, order, selected, correct, flagged, at in rows:
        hidden = qid in withheld
        stat = None if hidden else stats.get(vid)
        review.append(
            ReviewItem(
                number=number,
                question_id=qid,
                area_code=code,
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
                released_at=withheld.get(qid),
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
