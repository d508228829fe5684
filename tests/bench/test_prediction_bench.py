"""The prediction benchmark (bench/prediction_bench.py) on a fixed seed: with known truth, Moshi's pass
probability beats the rule "mock score ≥ pass line", its 80% intervals cover about 80%, and calibration recovers
the items. Tolerances are for this cohort of 500 people (the bench's default 4,000 recovers more closely)."""

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "prediction_bench", Path(__file__).resolve().parents[2] / "bench" / "prediction_bench.py"
)
prediction_bench = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("prediction_bench", prediction_bench)  # dataclasses look their module up by name
_spec.loader.exec_module(prediction_bench)

RECOVERY_TOLERANCE = 0.35  # RMSE of discrimination and difficulty, items with 50+ first responses


@pytest.fixture(scope="module")
def report():
    return prediction_bench.simulate(persons=500, seed=1)


@pytest.mark.slow
def test_moshi_beats_the_pass_line_rule_even_with_its_line_fitted(report):
    assert report.brier_model < report.brier_rule
    assert report.brier_model < report.brier_fitted_rule
    assert report.log_loss_model < report.log_loss_rule


@pytest.mark.slow
def test_the_80_percent_intervals_cover_about_80_percent(report):
    assert 0.70 <= report.theta_coverage <= 0.90
    assert report.count_coverage >= 0.70  # expected passes of departments of 40


@pytest.mark.slow
def test_calibration_recovers_the_items(report):
    assert report.rmse_a < RECOVERY_TOLERANCE
    assert report.rmse_b < RECOVERY_TOLERANCE
    assert report.first_responses > 100_000  # first responses only, from 1-3 mocks each
