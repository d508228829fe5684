"""Does Moshi's pass probability hold? A simulation with known truth, through Moshi's own code.

A cohort with known abilities sits G検定 mocks drawn by the real online blueprint (exams.drawing, the shipped
bank's areas, kinds and author difficulties) from items with known parameters (the constrained 3PL,
common/irt.py), unseen questions first as Moshi draws them; a question seen again is answered from memory. Items
are calibrated on first responses only, each person's ability is estimated from their last mock's first-seen
questions, and the real exam (a known standard plus the day's noise) is passed or failed. Half the cohort's
real results fit the standard; the other half is predicted. Printed: parameter recovery, Brier score and log
loss of Moshi's probability against the rule "mock score ≥ 70%", and the coverage of the 80% intervals.

    .venv/bin/python bench/prediction_bench.py [--persons 4000] [--seed 1]

Also timed: a calibration of 1,000 items over 100,000 first responses, and what the estimates add to scoring."""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchsetup  # noqa: F401  (Django, for the blueprint definitions)

from common import irt
from exams import estimates
from exams.drawing import Candidate, Quota, draw
from exams.management.commands.seed_blueprints import DEFAULTS
from questions.bankfile import BANK_DIR, read_bank

TRUE_CUT, TRUE_TAU = -0.7, 0.3  # the real exam: about three in four pass, as JDLA reports for G検定
PASS_LINE = 0.70  # the rule Moshi replaces: a mock at or above 70% means "will pass"
MEMORY = 0.9  # a question seen before is answered right at least this often, whatever the ability


@dataclass
class Report:
    persons: int
    items: int
    first_responses: int
    rmse_a: float
    rmse_b: float
    brier_model: float
    brier_rule: float
    brier_fitted_rule: float  # the rule with its line moved to where it best separates the training half
    fitted_line: float
    log_loss_model: float
    log_loss_rule: float
    theta_coverage: float  # share of true abilities inside the 80% interval of their estimate
    count_coverage: float  # share of groups whose real passes fall inside the 80% interval of expected passes
    calibration_seconds: float

    def lines(self) -> list[str]:
        return [
            f"cohort {self.persons:,} people, {self.items:,} items, {self.first_responses:,} first responses",
            f"calibration {self.calibration_seconds:.1f} s; recovery RMSE  a {self.rmse_a:.3f}  b {self.rmse_b:.3f}",
            f"Brier     model {self.brier_model:.4f}   rule (mock ≥ {PASS_LINE:.0%}) {self.brier_rule:.4f}   "
            f"rule with its line fitted (mock ≥ {self.fitted_line:.0%}) {self.brier_fitted_rule:.4f}",
            f"log loss  model {self.log_loss_model:.4f}   rule {self.log_loss_rule:.4f}",
            f"80% intervals: ability covers {self.theta_coverage:.1%}, expected passes per group "
            f"{self.count_coverage:.1%}",
        ]


def simulate(*, persons: int = 4000, seed: int = 1, mocks: tuple[int, int] = (1, 3), group_size: int = 40) -> Report:
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    bank = [q for q in read_bank([BANK_DIR / "g_kentei"]).questions]
    n_items = len(bank)
    kinds = np.array([q.kind == "multiple" for q in bank])
    c = np.array([irt.guessing(len(q.choices), m) for q, m in zip(bank, kinds, strict=True)])
    b_prior = np.array([irt.prior_difficulty(q.difficulty) for q in bank])
    true_a = np.exp(nrng.normal(0.0, 0.3, n_items))
    true_b = b_prior + nrng.normal(0.0, 0.7, n_items)
    candidates = [Candidate(i, i, q.area, q.stimulus or None) for i, q in enumerate(bank)]
    (online,) = [qs for slug, _e, _n, _m, _c, qs, _o in DEFAULTS if slug == "g-kentei-online"]
    quotas = [Quota(area, n) for area, n in online.items()]

    theta = nrng.normal(0.0, 1.0, persons)
    first = ([], [], [])  # person, item, correct: each person's first response to each item
    last_mock = []  # per person: (items, correct, first-seen mask, raw score) of their last mock
    for person in range(persons):
        seen: set[int] = set()
        for _ in range(rng.randint(*mocks)):
            # Moshi draws questions the person has not seen first (exams.services).
            drawn = draw(candidates, quotas, rng, shuffle=True, priority=dict.fromkeys(seen, 1))
            items = np.array([d.question_id for d in drawn])
            p = irt.probability(theta[person], true_a[items], true_b[items], c[items])
            fresh = np.array([i not in seen for i in items])
            right = nrng.random(len(items)) < np.where(fresh, p, np.maximum(p, MEMORY))
            first[0].extend([person] * int(fresh.sum()))
            first[1].extend(items[fresh].tolist())
            first[2].extend(right[fresh].tolist())
            seen.update(items.tolist())
            mock = (items, right, fresh, right.mean())
        last_mock.append(mock)

    started = time.perf_counter()
    fit = irt.calibrate(np.array(first[0]), np.array(first[1]), np.array(first[2]), c=c, b_prior=b_prior)
    seconds = time.perf_counter() - started
    counts = np.bincount(np.array(first[1]), minlength=n_items)
    well = counts >= 50
    rmse_a = float(np.sqrt(np.mean((fit.a[well] - true_a[well]) ** 2)))
    rmse_b = float(np.sqrt(np.mean((fit.b[well] - true_b[well]) ** 2)))

    estimates = [irt.eap(r[f], fit.a[i[f]], fit.b[i[f]], c[i[f]]) for i, r, f, _ in last_mock]
    est_theta = np.array([e.theta for e in estimates])
    est_se = np.array([e.se for e in estimates])
    passed = theta + nrng.normal(0.0, TRUE_TAU, persons) > TRUE_CUT
    order = nrng.permutation(persons)
    train, test = order[: persons // 2], order[persons // 2 :]
    standard = irt.fit_standard(est_theta[train], est_se[train], passed[train])
    predictions = np.array([standard.probability(est_theta[k], est_se[k]) for k in test])
    raw = np.array([m[3] for m in last_mock])
    rule = (raw[test] >= PASS_LINE).astype(float)
    # The fairest rule: the line that misclassifies fewest of the training half.
    lines = np.unique(raw[train])
    errors = [np.mean((raw[train] >= line) != passed[train]) for line in lines]
    fitted_line = float(lines[int(np.argmin(errors))])

    inside = np.abs(theta - est_theta) <= irt.Z80 * est_se
    # Departments: 200 random groups from the test half. Does the 80% interval of expected passes hold the count?
    hits = []
    for _ in range(200):
        group = nrng.choice(len(test), size=min(group_size, len(test)), replace=False)
        p, low, high = predictions[group].T
        _, lower, upper = irt.expected_passes(len(p), p.sum(), (p * (1 - p)).sum(), (high - low).sum())
        hits.append(lower <= passed[test[group]].sum() <= upper)
    return Report(
        persons=persons,
        items=n_items,
        first_responses=len(first[0]),
        rmse_a=rmse_a,
        rmse_b=rmse_b,
        brier_model=irt.brier(predictions[:, 0], passed[test]),
        brier_rule=irt.brier(rule, passed[test]),
        brier_fitted_rule=irt.brier((raw[test] >= fitted_line).astype(float), passed[test]),
        fitted_line=fitted_line,
        log_loss_model=irt.log_loss(predictions[:, 0], passed[test]),
        log_loss_rule=irt.log_loss(rule, passed[test]),
        theta_coverage=float(inside.mean()),
        count_coverage=float(np.mean(hits)),
        calibration_seconds=seconds,
    )


def time_calibration(items: int = 1000, responses: int = 100_000, seed: int = 2) -> float:
    """Seconds to calibrate `items` items over `responses` first responses (each person answers 100)."""
    nrng = np.random.default_rng(seed)
    persons = responses // 100
    theta = nrng.normal(size=persons)
    a, b, c = np.exp(nrng.normal(0, 0.3, items)), nrng.normal(0, 1, items), np.full(items, 0.25)
    person = np.repeat(np.arange(persons), 100)
    item = np.concatenate([nrng.choice(items, 100, replace=False) for _ in range(persons)])
    right = nrng.random(responses) < (c[item] + (1 - c[item]) / (1 + np.exp(-a[item] * (theta[person] - b[item]))))
    started = time.perf_counter()
    irt.calibrate(person, item, right, c=c, b_prior=np.zeros(items))
    return time.perf_counter() - started


def time_estimate(items: int = 145, repeat: int = 200) -> float:
    """Milliseconds that the estimates add to scoring a full G検定 form: ability (EAP over the first-seen
    questions, calibrated parameters where there are) and the chance of passing (exams.estimates.estimate).
    Reading the parameters and the standard adds two indexed queries (exams.services.compute_results)."""
    nrng = np.random.default_rng(3)
    facts = [
        estimates.ItemFacts(k, bool(nrng.random() < 0.7), k % 10 == 0, 4, k % 12 == 0, int(nrng.integers(1, 6)))
        for k in range(items)
    ]
    params = {k: (1.0, float(nrng.normal()), 0.25, False) for k in range(0, items, 2)}  # half calibrated
    standard = irt.assumed_standard(0.8)
    started = time.perf_counter()
    for _ in range(repeat):
        estimates.estimate(facts, params, standard)
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for line in simulate(persons=args.persons, seed=args.seed).lines():
        print(line)
    print(f"calibration of 1,000 items over 100,000 first responses: {time_calibration():.1f} s")
    print(f"estimates added to scoring a 145-question attempt: {time_estimate():.2f} ms")


if __name__ == "__main__":
    main()
