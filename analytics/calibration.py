"""Nightly: item parameters from first responses, and each exam's standard from real results (docs/results.md).

Calibration reads each person's first response to each question (AttemptItem.seen_before is false: later
exposures measure memory) on full forms and drills alike, fits the constrained 3PL by marginal MAP
(common/irt.py) per exam, and stores the parameters through exams.services. A question with fewer than
MIN_RESPONSES first responses keeps a provisional estimate that leans on its author's difficulty (the prior).

The standard is fitted to members' recorded real results, each beside the ability of their latest full mock
started before the real exam's date (never after), re-estimated with the current parameters; with fewer than
MIN_RESULTS results it is assumed from JDLA's published pass rate, and says so."""

from datetime import timedelta

import numpy as np
from django.utils import timezone

from common import irt
from common.dates import start_of_day
from exams import estimates
from exams.models import Attempt, AttemptItem, ItemParameters
from exams.services import item_parameters_replace, pass_standard_set
from hr.models import RealResult
from questions.models import Exam, Question

MIN_RESPONSES = 50
MIN_RESULTS = 30
LOOKBACK = timedelta(days=365)  # a mock older than this says little about the day of the real exam


def calibrate_exam(exam: Exam, *, now=None) -> int:
    """Fit and store the exam's item parameters; returns how many questions have them."""
    now = now or timezone.now()
    seen: set[tuple[int, int]] = set()
    persons, questions, person_rows, item_rows, correct = {}, {}, [], [], []
    for user_id, question_id, is_correct in (
        AttemptItem.objects.filter(
            attempt__status=Attempt.Status.SCORED, attempt__blueprint__exam=exam, seen_before=False
        )
        .order_by("attempt__started_at", "pk")
        .values_list("attempt__user_id", "version__question_id", "is_correct")
    ):
        if (user_id, question_id) in seen:  # an item met twice in one attempt's first sitting: keep the first
            continue
        seen.add((user_id, question_id))
        person_rows.append(persons.setdefault(user_id, len(persons)))
        item_rows.append(questions.setdefault(question_id, len(questions)))
        correct.append(bool(is_correct))
    if not questions:
        return 0
    facts = dict(
        Question.objects.filter(pk__in=questions).values_list("pk", "difficulty")
    )  # author difficulty: the prior
    kinds = {
        qid: (choices, multiple)
        for qid, choices, multiple in AttemptItem.objects.filter(version__question_id__in=questions)
        .order_by()
        .values_list("version__question_id", "choice_count", "multiple")
        .distinct()
    }
    ids = sorted(questions, key=questions.get)
    c = np.array([irt.guessing(*kinds[qid]) for qid in ids])
    b_prior = np.array([irt.prior_difficulty(facts[qid]) for qid in ids])
    fit = irt.calibrate(np.array(person_rows), np.array(item_rows), np.array(correct), c=c, b_prior=b_prior)
    responses = np.bincount(np.array(item_rows), minlength=len(ids))
    parameters = {
        qid: (float(fit.a[k]), float(fit.b[k]), float(c[k]), int(responses[k]), bool(responses[k] < MIN_RESPONSES))
        for k, qid in enumerate(ids)
    }
    return item_parameters_replace(parameters=parameters, fitted_at=now)


def fit_standard(exam: Exam, *, now=None) -> irt.Standard | None:
    """Fit (or assume) and store the exam's standard; None when there is neither enough results nor a rate."""
    now = now or timezone.now()
    records = real_results_with_mocks(exam)
    if len(records) >= MIN_RESULTS:
        standard = irt.fit_standard(
            [r["ability"] for r in records], [r["se"] for r in records], [r["passed"] for r in records]
        )
    elif rate := estimates.PUBLISHED_PASS_RATES.get(exam.code):
        recent = Attempt.objects.filter(
            blueprint__exam=exam,
            blueprint__is_drill=False,
            status=Attempt.Status.SCORED,
            started_at__gte=now - LOOKBACK,
            ability__isnull=False,
        ).values_list("ability", flat=True)[:10000]
        standard = irt.assumed_standard(rate, list(recent))
    else:
        return None
    pass_standard_set(exam=exam, standard=standard, fitted_at=now)
    return standard


def real_results_with_mocks(exam: Exam) -> list[dict]:
    """Each recorded real result of the exam beside the ability of the person's latest full mock of it started
    before the real exam's day (and within LOOKBACK), re-estimated with today's item parameters. Also what that
    mock predicted when it was scored (for the live check)."""
    results = list(RealResult.objects.filter(exam=exam).values_list("user_id", "taken_on", "passed"))
    if not results:
        return []
    day_start = {taken_on: start_of_day(taken_on) for _, taken_on, _ in results}
    candidates = (
        Attempt.objects.filter(
            user_id__in={u for u, _, _ in results},
            blueprint__exam=exam,
            blueprint__is_drill=False,
            status=Attempt.Status.SCORED,
            started_at__lt=max(day_start.values()),
            started_at__gte=min(day_start.values()) - LOOKBACK,
        )
        .order_by("user_id", "-started_at")
        .values("pk", "user_id", "started_at", "score", "pass_ratio", "pass_probability", "predicted_at")
    )
    by_user: dict[int, list[dict]] = {}
    for attempt in candidates:
        by_user.setdefault(attempt["user_id"], []).append(attempt)
    chosen = []
    for user_id, taken_on, passed in results:
        start = day_start[taken_on]
        before = next((a for a in by_user.get(user_id, []) if start - LOOKBACK <= a["started_at"] < start), None)
        if before is not None:
            chosen.append({**before, "passed": passed, "taken_on": taken_on, "day_start": start})
    abilities = _re_estimate([a["pk"] for a in chosen])
    return [{**a, "ability": abilities[a["pk"]].ability, "se": abilities[a["pk"]].ability_se} for a in chosen]


def _re_estimate(attempt_ids: list[int]) -> dict[int, estimates.Estimate]:
    rows: dict[int, list[estimates.ItemFacts]] = {pk: [] for pk in attempt_ids}
    for attempt_id, qid, correct, seen, choices, multiple, difficulty in AttemptItem.objects.filter(
        attempt_id__in=attempt_ids
    ).values_list(
        "attempt_id",
        "version__question_id",
        "is_correct",
        "seen_before",
        "choice_count",
        "multiple",
        "version__question__difficulty",
    ):
        rows[attempt_id].append(estimates.ItemFacts(qid, bool(correct), bool(seen), choices, multiple, difficulty))
    params = estimates.parameters_for({f.question_id for facts in rows.values() for f in facts})
    return {pk: estimates.estimate(facts, params, None) for pk, facts in rows.items()}


def refresh_all(*, now=None) -> dict[str, dict]:
    """The nightly task: every exam's item parameters, then its standard."""
    done = {}
    for exam in Exam.objects.all():
        calibrated = calibrate_exam(exam, now=now)
        standard = fit_standard(exam, now=now)
        done[exam.code] = {"items": calibrated, "standard": standard.source if standard else None}
    return done


def prediction_check(exam: Exam) -> dict:
    """How the pass probabilities held: each real result beside what the person's latest full mock before it
    predicted when it was scored, if that was before the real exam (so honestly out of sample), against the rule
    "mock score ≥ pass line"."""
    records = [
        r
        for r in real_results_with_mocks(exam)
        if r["pass_probability"] is not None and r["predicted_at"] < r["day_start"]
    ]
    if not records:
        return {"count": 0}
    predicted = [r["pass_probability"] for r in records]
    observed = [r["passed"] for r in records]
    rule = [float(r["score"] >= r["pass_ratio"]) for r in records]
    return {
        "count": len(records),
        "passed": sum(observed),
        "brier": irt.brier(predicted, observed),
        "log_loss": irt.log_loss(predicted, observed),
        "brier_rule": irt.brier(rule, observed),
        "log_loss_rule": irt.log_loss(rule, observed),
        "reliability": irt.reliability(predicted, observed),
    }


def calibration_counts(exam: Exam) -> dict:
    """How many of the exam's questions have calibrated parameters, and how many of those are provisional."""
    rows = ItemParameters.objects.filter(question__exam=exam)
    return {"calibrated": rows.count(), "provisional": rows.filter(provisional=True).count()}
