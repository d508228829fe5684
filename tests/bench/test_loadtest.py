"""The exam-day load test's own logic (bench/loadtest.py): percentiles, per-phase figures, what it reads
from pages and cookies. The load test itself runs against `make stack`, outside the test suite."""

import importlib.util
import sys
from pathlib import Path

import httpx
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))  # loadtest imports its neighbour stackcpu, as it does when run as a script
_spec = importlib.util.spec_from_file_location("loadtest", BENCH / "loadtest.py")
loadtest = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("loadtest", loadtest)  # dataclasses look their module up by name
_spec.loader.exec_module(loadtest)


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0, 1), (50, 50), (95, 95), (99, 99), (99.5, 100), (100, 100)],
)
def test_percentile_is_the_nearest_observed_rank(q, expected):
    ordered = [float(i) for i in range(1, 101)]
    assert loadtest.percentile(ordered, q) == expected


def test_percentile_of_few_samples_never_interpolates():
    assert loadtest.percentile([0.010, 0.020, 0.900], 50) == 0.020
    assert loadtest.percentile([0.010, 0.020, 0.900], 99) == 0.900


def test_percentile_of_nothing_is_not_a_number():
    assert loadtest.percentile([], 50) != loadtest.percentile([], 50)  # NaN


def test_phase_counts_only_expected_answers_in_latencies_and_names_every_error():
    phase = loadtest.Phase("autosave")
    for i in range(98):
        phase.record(started=10.0 + i * 0.01, ended=10.0 + i * 0.01 + 0.005, outcome=200, ok=True)
    phase.record(started=11.0, ended=11.5, outcome=502, ok=False)
    phase.record(started=11.0, ended=12.0, outcome="ConnectTimeout", ok=False)

    summary = phase.summary()

    assert summary["requests"] == 100
    assert summary["ok"] == 98
    assert summary["errors"] == {"502": 1, "ConnectTimeout": 1}
    assert summary["span_s"] == pytest.approx(2.0)
    assert summary["rate_per_s"] == pytest.approx(50.0)
    assert summary["p50_ms"] == pytest.approx(5.0)
    assert summary["p99_ms"] == pytest.approx(5.0)  # the slow failures are not latencies of a save


def test_a_200_where_a_redirect_was_expected_is_an_error():
    phase = loadtest.Phase("start POST")
    phase.record(started=0.0, ended=0.1, outcome=200, ok=False)  # the form came back instead of the exam
    assert phase.summary()["errors"] == {"200": 1}


def test_table_has_one_row_per_phase_with_its_errors():
    ok, bad = loadtest.Phase("ping"), loadtest.Phase("submit")
    ok.record(0.0, 0.002, 200, ok=True)
    bad.record(0.0, 0.002, 409, ok=False)
    table = loadtest.format_table([ok, bad]).splitlines()
    assert table[2].startswith("| ping | 1 | 0 |")
    assert table[3].startswith("| submit | 1 | 409: 1 |")


def test_choice_counts_read_each_question_and_ignore_the_rest_of_the_page():
    page = (
        b'<section class="exam-q" id="q1"><input type="radio"><input type="radio"></section>'
        b'<section class="exam-q" id="q2"><input type="checkbox"><input type="checkbox"><input type="checkbox">'
        b'</section><form id="submit-form"><input type="hidden" name="csrfmiddlewaretoken"></form>'
    )
    assert loadtest.choice_counts(page) == [2, 3]


def test_cookies_marked_secure_are_kept_and_deleted_ones_dropped():
    candidate = loadtest.Candidate("c@example.jp", cookies={"messages": "old"})
    response = httpx.Response(
        302,
        headers=[
            ("Set-Cookie", "csrftoken=abc; Path=/; SameSite=Lax; Secure"),
            ("Set-Cookie", "sessionid=xyz; HttpOnly; Path=/; Secure"),
            ("Set-Cookie", 'messages=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/'),
        ],
    )
    candidate.take_cookies(response)
    assert candidate.cookies == {"csrftoken": "abc", "sessionid": "xyz"}
    assert candidate.csrf == "abc"
    assert candidate.cookie_header == "csrftoken=abc; sessionid=xyz"


def test_profile_summary_counts_a_function_once_per_sample_however_deep_it_recurses():
    raw = "\n".join(
        [
            "process 1:gunicorn;handle (gunicorn/workers/gthread.py:10);view (exams/views.py:5);"
            "execute (django/db/utils.py:3) 6",
            "process 1:gunicorn;handle (gunicorn/workers/gthread.py:10);render (a.py:1);render (a.py:2) 4",
        ]
    )
    summary = loadtest.profile_summary(raw, top=10)
    assert summary.splitlines()[0].startswith("10 samples")
    assert " 100.0%  handle (gthread.py)" in summary
    assert "  60.0%  view (views.py)" in summary
    assert "  40.0%  render (a.py)" in summary  # not 80%: recursion counts once
    assert "process 1" not in summary


def test_the_result_page_is_polled_as_its_meta_refresh_says():
    page = b'<meta http-equiv="refresh" content="7; url=?wait=3">'
    assert loadtest.meta_refresh(page) == (7.0, "?wait=3")
    assert loadtest.meta_refresh(b'<meta http-equiv="refresh" content="4">') == (4.0, "")
    assert loadtest.meta_refresh(b"<html>scored</html>") == (3.0, "")
