"""What scoring estimates beyond the raw score (docs/results.md): the candidate's ability on the exam's calibrated
scale from the questions they met for the first time, a scaled score, and for a full form the chance of passing
the real exam with an 80% interval. Pure over plain data (common/irt.py does the mathematics); the loaders read
the calibrated item parameters and the exam's standard in one query each."""

from dataclasses import dataclass

import numpy as np

from common import irt

from .models import ItemParameters, PassStandard

# JDLA's latest published pass rates: the assumed standard until members' real results are enough to fit one
# (docs/exams.md). The Generative AI Test has none published that Moshi relies on: no prediction until results.
PUBLISHED_PASS_RATES = {"g_kentei": 6843 / 8305, "e_shikaku": 712 / 1043}  # G検定 2026#3, E資格 2025#1
MIN_FIRST_SEEN = 10  # fewer first-seen questions than this: the ability rests on questions seen before too


@dataclass(frozen=True)
class ItemFacts:
    question_id: int
    correct: bool
    seen_before: bool
    choices: int
    multiple: bool
    author_difficulty: int


@dataclass(frozen=True)
class Estimate:
    ability: float
    ability_se: float
    scaled_score: int
    first_seen_correct: int
    first_seen_total: int
    provisional: bool  # most questions used have too few responses yet: their difficulty is the author's
    pass_probability: float | None = None
    pass_low: float | None = None
    pass_high: float | None = None
    pass_source: str = ""


Parameters = dict[int, tuple[float, float, float, bool]]  # question id: (a, b, c, provisional)


def estimate(items: list[ItemFacts], params: Parameters, standard: irt.Standard | None) -> Estimate:
    """Ability from the first-seen questions (all of them if fewer than MIN_FIRST_SEEN: a retake of a small
    bank), using calibrated parameters where a question has them and the author's difficulty otherwise; the chance
    of passing when there is a standard (the caller passes none for drills)."""
    first = [i for i in items if not i.seen_before]
    used = first if len(first) >= MIN_FIRST_SEEN else items
    a, b, c, provisional = (
        np.array([params.get(i.question_id) or _prior(i) for i in used], dtype=float).reshape(-1, 4).T
    )
    ability = irt.eap([i.correct for i in used], a, b, c)
    result = {
        "ability": ability.theta,
        "ability_se": ability.se,
        "scaled_score": ability.scaled,
        "first_seen_correct": sum(i.correct for i in first),
        "first_seen_total": len(first),
        "provisional": bool(provisional.mean() > 0.5) if used else True,
    }
    if standard is not None and used:
        p, low, high = standard.probability(ability.theta, ability.se)
        result |= {"pass_probability": p, "pass_low": low, "pass_high": high, "pass_source": standard.source}
    return Estimate(**result)


def _prior(item: ItemFacts) -> tuple[float, float, float, bool]:
    return 1.0, irt.prior_difficulty(item.author_difficulty), irt.guessing(item.choices, item.multiple), True


def parameters_for(question_ids) -> Parameters:
    return {
        qid: (a, b, c, provisional)
        for qid, a, b, c, provisional in ItemParameters.objects.filter(question_id__in=question_ids).values_list(
            "question_id", "discrimination", "difficulty", "guessing", "provisional"
        )
    }


def standard_for(exam) -> irt.Standard | None:
    """The exam's fitted or stored standard, else the one JDLA's published pass rate implies, else none."""
    stored = PassStandard.objects.filter(exam=exam).first()
    if stored is not None:
        covariance = tuple(map(tuple, stored.covariance))
        return irt.Standard(stored.cut, stored.tau, covariance, stored.source, stored.results)
    rate = PUBLISHED_PASS_RATES.get(exam.code)
    return irt.assumed_standard(rate) if rate else None
