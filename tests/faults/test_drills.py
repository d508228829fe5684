"""Fault drills: kill or restart one part of a private production-like stack while candidates work,
then check from the database that nothing acknowledged was lost and every attempt is scored once.

Each drill prints what it saw ([faults] lines; `pytest -s` or `make faults` shows them)."""

import os
import random
import signal
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from tests.faults.client import NETWORK_ERRORS, Browser
from tests.faults.conftest import LONG, SCALE, WEB_WORKERS, Stack
from tests.faults.services import wait_for

pytestmark = [pytest.mark.faults]

MINI_POSITIONS = 5


def report(drill: str, **figures) -> None:
    print(f"\n[faults] {drill}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


@dataclass
class Candidate:
    """One candidate clicking through an exam as exam.js does: every change a new sequence number; a change
    the server did not acknowledge (no answer, 5xx) is sent again, with exam.js's doubling back-off."""

    browser: Browser
    attempt: int
    rng: random.Random
    seq: int = 0
    acked: dict = field(default_factory=dict)  # position -> (seq, selected, flagged) the server answered 2xx to
    statuses: Counter = field(default_factory=Counter)
    latencies: list = field(default_factory=list)
    served_by: Counter = field(default_factory=Counter)  # behind HAProxy: acknowledgements per web node
    max_backoff: float = 15.0

    def change(self) -> None:
        self.seq += 1
        position = self.rng.randint(1, MINI_POSITIONS)
        selected = [] if self.rng.random() < 0.1 else [self.rng.randrange(3)]
        self.send(position, selected, self.rng.random() < 0.2, self.seq)

    def send(self, position: int, selected: list[int], flagged: bool, seq: int, give_up_after: float = 120) -> None:
        backoff, started = 0.2, time.monotonic()
        while True:
            try:
                reply = self.browser.save(self.attempt, position, selected, flagged, seq)
            except NETWORK_ERRORS as exc:
                self.statuses[type(exc).__name__] += 1
            else:
                self.statuses[reply.status] += 1
                if 200 <= reply.status < 300:
                    self.latencies.append(reply.seconds)
                    self.served_by[reply.header("X-Moshi-Node")] += 1
                    if seq >= self.acked.get(position, (0,))[0]:
                        self.acked[position] = (seq, selected, flagged)
                    return
                assert reply.status >= 500, f"autosave refused: {reply.status} {reply.body[:200]!r}"
            if time.monotonic() - started > give_up_after:
                raise AssertionError(f"autosave of position {position} never acknowledged in {give_up_after} s")
            time.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)


def start_candidates(stack: Stack, count: int, seed: int) -> list[Candidate]:
    candidates = []
    for n in range(count):
        browser = stack.candidate()
        candidates.append(Candidate(browser, browser.start(stack.data["mini"]), random.Random(seed + n)))
    return candidates


def autosave_for(
    candidates: list[Candidate], seconds: float, pause: float = 0.05, until=lambda: True, longest: float = 60
) -> None:
    """Every candidate changes answers for `seconds`, each in its own thread, like so many open browsers; and
    past that while `until()` is false (what the drill is waiting to happen), for at most `longest` seconds more."""
    started = time.monotonic()
    errors: list[BaseException] = []

    def going() -> bool:
        elapsed = time.monotonic() - started
        return elapsed < seconds or (elapsed < seconds + longest and not until())

    def run(candidate: Candidate) -> None:
        try:
            while going():
                candidate.change()
                time.sleep(pause)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in candidates]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + longest + 300)
    assert not errors, errors[0]


def lost_answers(stack: Stack, candidates: list[Candidate]) -> list[str]:
    """Every acknowledged answer is in the database: its own or a later one of the same candidate."""
    lost = []
    for c in candidates:
        rows = stack.query(
            "SELECT position, client_seq, selected, flagged FROM exams_attemptitem WHERE attempt_id = %s", [c.attempt]
        )
        in_db = {position: (seq, selected, flagged) for position, seq, selected, flagged in rows}
        for position, (seq, selected, flagged) in c.acked.items():
            db_seq, db_selected, db_flagged = in_db[position]
            if db_seq < seq or (db_seq == seq and (db_selected, db_flagged) != (selected, flagged)):
                lost.append(f"attempt {c.attempt} #{position}: acknowledged seq {seq} {selected}, db {in_db[position]}")
    return lost


def totals(candidates: list[Candidate]) -> tuple[Counter, list[float]]:
    statuses, latencies = Counter(), []
    for c in candidates:
        statuses.update(c.statuses)
        latencies += c.latencies
    return statuses, latencies


def ms(seconds: list[float], q: float) -> str:
    return f"{statistics.quantiles(seconds, n=100)[int(q) - 1] * 1000:.0f}ms" if len(seconds) > 1 else "-"


def test_a_gunicorn_worker_killed_mid_autosave_loses_no_acknowledged_answer(up):
    stack = up
    candidates = start_candidates(stack, SCALE.candidates, seed=100)
    kills, stop = [], threading.Event()

    def acknowledged() -> int:
        return sum(c.statuses[200] for c in candidates)

    def killer():
        # Kill only a server that has been serving since the last kill (every worker back, an answer
        # acknowledged since): on a loaded machine a new worker can take longer than kill_every to boot,
        # and killing it before it answers would prove nothing but starve the candidates.
        rng = random.Random(1)
        acknowledged_at_last_kill = -1
        while not stop.wait(SCALE.kill_every):
            workers = stack.web.children()
            if len(workers) < WEB_WORKERS or acknowledged() == acknowledged_at_last_kill:
                continue
            victim = rng.choice(workers)
            os.kill(victim, signal.SIGKILL)
            kills.append(victim)
            acknowledged_at_last_kill = acknowledged()

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        # A loaded machine boots workers slowly: go on until two kills have landed, rather than prove nothing.
        autosave_for(candidates, SCALE.seconds, until=lambda: len(kills) >= 2)
    finally:
        stop.set()
        thread.join()
    statuses, latencies = totals(candidates)
    lost = lost_answers(stack, candidates)
    acked = sum(len(c.acked) for c in candidates)
    report(
        "a. gunicorn worker kill -9",
        candidates=len(candidates),
        seconds=SCALE.seconds,
        workers_killed=len(kills),
        requests=sum(statuses.values()),
        acknowledged=sum(v for k, v in statuses.items() if k == 200),
        not_answered=sum(v for k, v in statuses.items() if not isinstance(k, int)),
        status_5xx=sum(v for k, v in statuses.items() if isinstance(k, int) and k >= 500),
        positions_checked=acked,
        lost=len(lost),
        p50=ms(latencies, 50),
        p95=ms(latencies, 95),
    )
    assert len(kills) >= 2, "the drill killed too few workers to prove anything"
    assert stack.web.alive(), "the gunicorn master died with its workers"
    # The master replaces a killed worker after it reaps it, and a new worker takes a moment to boot; under
    # load a check at one instant can fall between the two, so wait for the replacement, within a bound.
    wait_for(lambda: len(stack.web.children()) == WEB_WORKERS, 30, "gunicorn to replace its killed workers")
    assert not lost, lost[:5]


def score_writes(stack: Stack, attempt_ids: list[int]) -> Counter:
    rows = stack.query("SELECT attempt_id FROM faults_score_writes WHERE attempt_id = ANY(%s)", [attempt_ids])
    return Counter(a for (a,) in rows)


def expected_correct(stack: Stack, attempt_id: int) -> int:
    """The score recomputed from the rows: an item is right when the chosen choices are exactly its key."""
    keys: dict[int, set[int]] = {}
    for version_id, choice_id in stack.query(
        "SELECT version_id, id FROM questions_versionchoice WHERE is_correct AND version_id IN "
        "(SELECT version_id FROM exams_attemptitem WHERE attempt_id = %s)",
        [attempt_id],
    ):
        keys.setdefault(version_id, set()).add(choice_id)
    right = 0
    for version_id, order, selected in stack.query(
        "SELECT version_id, choice_order, selected FROM exams_attemptitem WHERE attempt_id = %s", [attempt_id]
    ):
        right += {order[p] for p in selected} == keys.get(version_id, set())
    return right


def move_sweeper_clock(stack: Stack, attempt_ids: list[int]) -> None:
    """Short drills only: make the still-unscored attempts look submitted over a minute ago, which is when the
    sweeper re-queues them (exams.services.sweep_overdue_attempts), instead of waiting that minute."""
    if SCALE.move_clock:
        stack.query(
            "UPDATE exams_attempt SET submitted_at = submitted_at - interval '61 seconds' "
            "WHERE id = ANY(%s) AND status = 'submitted'",
            [attempt_ids],
        )


def wait_scored(stack: Stack, attempt_ids: list[int], timeout: float) -> float:
    started = time.monotonic()

    def all_scored():
        stack.supervise()  # a worker that stopped itself (ops.watchdog) is started again, as in production
        rows = stack.query("SELECT count(*) FROM exams_attempt WHERE id = ANY(%s) AND status = 'scored'", [attempt_ids])
        return rows[0][0] == len(attempt_ids)

    try:
        wait_for(all_scored, timeout, "every attempt SCORED", interval=0.25)
    except TimeoutError:
        states = stack.query("SELECT id, status, submitted_at FROM exams_attempt WHERE id = ANY(%s)", [attempt_ids])
        raise AssertionError(f"not all scored in {timeout:.0f} s: {states}\n{stack.logs()}") from None
    return time.monotonic() - started


SLOW_SCORING_SQL = """
CREATE OR REPLACE FUNCTION faults_slow_scoring() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.5); RETURN NEW; END $$;
CREATE TRIGGER faults_slow_scoring BEFORE UPDATE ON exams_attempt FOR EACH ROW
  WHEN (OLD.status = 'submitted' AND NEW.status = 'scored') EXECUTE FUNCTION faults_slow_scoring();
"""


def scoring_in_progress(stack: Stack) -> bool:
    """A worker is inside attempt_score's transaction (held there by the slow-scoring trigger)."""
    rows = stack.query(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()"
    )
    return rows[0][0] > 0


def test_b_celery_worker_killed_mid_scoring_scores_every_attempt_exactly_once(up):
    stack = up
    restarts_before = stack.worker_restarts
    candidates = start_candidates(stack, SCALE.scoring_attempts, seed=200)
    for c in candidates:
        for position in range(1, MINI_POSITIONS + 1):
            c.send(position, [c.rng.randrange(3)], False, position)
    attempt_ids = [c.attempt for c in candidates]
    stack.query(SLOW_SCORING_SQL)  # each scoring holds its transaction for 0.5 s, so a kill lands inside one
    try:
        for c in candidates:
            reply = c.browser.submit(c.attempt)
            assert reply.status == 200, reply.status

        # 1. kill -9 the pool processes running tasks: the worker sees them lost and (reject_on_worker_lost)
        #    puts their tasks back on the queue.
        wait_for(lambda: scoring_in_progress(stack), 30, "scoring to start")
        children = stack.worker.children()
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        # 2. kill -9 the whole worker (main process and pool) while it scores again: its unacknowledged tasks
        #    stay in Redis (for the visibility timeout), and the sweeper queues the attempts again.
        wait_for(lambda: scoring_in_progress(stack), 60, "scoring to resume after the pool was killed")
        scored_before_kill = stack.query(
            "SELECT count(*) FROM exams_attempt WHERE id = ANY(%s) AND status = 'scored'", [attempt_ids]
        )[0][0]
        stack.worker.kill9()
        killed_at = time.monotonic()
        stack.start_worker()
        move_sweeper_clock(stack, attempt_ids)
        waited = wait_scored(stack, attempt_ids, timeout=60 if not LONG else 300)
    finally:
        stack.query("DROP TRIGGER IF EXISTS faults_slow_scoring ON exams_attempt")
    writes = score_writes(stack, attempt_ids)
    wrong = {}
    for attempt_id, correct_count in stack.query(
        "SELECT id, correct_count FROM exams_attempt WHERE id = ANY(%s)", [attempt_ids]
    ):
        if correct_count != expected_correct(stack, attempt_id):
            wrong[attempt_id] = (correct_count, expected_correct(stack, attempt_id))
    area_rows = stack.query(
        "SELECT count(*), count(DISTINCT (attempt_id, area_id)) FROM exams_attemptarearesult "
        "WHERE attempt_id = ANY(%s)",
        [attempt_ids],
    )[0]
    report(
        "b. Celery worker kill -9 mid-scoring",
        attempts=len(attempt_ids),
        pool_processes_killed=len(children),
        scored_before_worker_kill=scored_before_kill,
        seconds_to_all_scored_after_worker_kill=f"{time.monotonic() - killed_at:.1f}",
        waited=f"{waited:.1f}",
        clock_moved=SCALE.move_clock,
        score_writes_per_attempt=sorted(set(writes.values())),
        area_rows=area_rows[0],
        duplicate_area_rows=area_rows[0] - area_rows[1],
        wrong_scores=len(wrong),
    )
    assert children, "no pool process was running the scoring"
    assert scored_before_kill < len(attempt_ids), "the worker finished before it could be killed mid-scoring"
    assert all(writes[a] == 1 for a in attempt_ids), f"scored_at written other than once: {writes}"
    assert area_rows[0] == area_rows[1] and area_rows[0] > 0
    assert not wrong, wrong
    assert stack.worker_restarts == restarts_before, "a worker busy scoring stopped itself (ops.watchdog)"


def test_c_redis_down_at_submit_answers_quickly_and_the_attempt_is_scored_after(up):
    stack = up
    candidate = start_candidates(stack, 1, seed=300)[0]
    for position in range(1, MINI_POSITIONS + 1):
        candidate.send(position, [position % 3], False, position)

    stack.redis.stop()
    down_at = time.monotonic()
    try:
        save = candidate.browser.save(candidate.attempt, 1, [2], True, 99)
        submit = outage_submit = candidate.browser.submit(candidate.attempt)
        page = candidate.browser.request("GET", f"/results/{candidate.attempt}/")
        status = stack.query("SELECT status FROM exams_attempt WHERE id = %s", [candidate.attempt])[0][0]
        time.sleep(max(0.0, SCALE.outage - (time.monotonic() - down_at)))
    finally:
        stack.redis.start()
    back_at = time.monotonic()
    # What exam.js does when the submit got no 2xx: keep the answer and send it again, every 3 s.
    resubmits = 0
    if save.status != 200:
        candidate.send(1, [2], True, 99)
    while submit.status != 200 and resubmits < 20:
        time.sleep(3 if LONG else 0.5)
        submit, resubmits = candidate.browser.submit(candidate.attempt), resubmits + 1
    move_sweeper_clock(stack, [candidate.attempt])
    waited = wait_scored(stack, [candidate.attempt], timeout=60 if not LONG else 200)
    report(
        "c. Redis stopped at submit",
        save_status=save.status,
        save_ms=f"{save.seconds * 1000:.0f}",
        submit_status=outage_submit.status,
        submit_ms=f"{outage_submit.seconds * 1000:.0f}",
        result_page_status=page.status,
        status_while_down=status,
        resubmits_after_redis_back=resubmits,
        redis_down_s=f"{back_at - down_at:.1f}",
        seconds_to_scored_after_redis_back=f"{waited:.1f}",
        clock_moved=SCALE.move_clock,
        score_writes=score_writes(stack, [candidate.attempt])[candidate.attempt],
        worker_restarts=stack.worker_restarts,
    )
    assert score_writes(stack, [candidate.attempt])[candidate.attempt] == 1
    assert (
        stack.query(
            "SELECT flagged FROM exams_attemptitem WHERE attempt_id = %s AND position = 1", [candidate.attempt]
        )[0][0]
        is True
    )
    # README: "If the broker is down the submit still succeeds; the sweeper queues scoring later."
    assert outage_submit.status == 200 and outage_submit.seconds < 5, (
        f"submit while Redis was down: {outage_submit.status} in {outage_submit.seconds:.2f} s"
    )
    assert status == "submitted"
    assert save.status == 200, save.status
    assert page.status == 200, page.status


def test_h_a_worker_that_stops_taking_work_stops_itself_and_its_replacement_scores(up):
    """Celery's Redis transport has left workers connected but consuming nothing after a broker restart
    (ops.watchdog). The drill makes that state on purpose: the worker is told to stop consuming its queue, a
    candidate submits, and the worker must notice the waiting work, stop, and be replaced by its supervisor."""
    stack = up
    candidate = start_candidates(stack, 1, seed=800)[0]
    for position in range(1, MINI_POSITIONS + 1):
        candidate.send(position, [position % 3], False, position)
    restarts_before, log_offset = stack.worker_restarts, stack.worker.log.stat().st_size
    wedged_at = time.monotonic()  # before the command: the worker may stop consuming before the command returns
    control = ("-m", "celery", "-A", "config", "control", "--timeout", "10")
    stack.manage(*control, "cancel_consumer", "celery", "-d", stack.worker_name)
    assert candidate.browser.submit(candidate.attempt).status == 200
    stall = float(stack.env["WORKER_STALL_SECONDS"])
    wait_for(lambda: not stack.worker.alive(), stall * 2 + 40, "the worker that takes no work to stop itself")
    stopped_after = time.monotonic() - wedged_at
    exit_code = stack.worker.proc.returncode
    with open(stack.worker.log, "rb") as log:
        log.seek(log_offset)
        its_log = log.read()
    move_sweeper_clock(stack, [candidate.attempt])
    waited = wait_scored(stack, [candidate.attempt], timeout=60 if not LONG else 200)
    report(
        "h. worker connected but not consuming",
        stall_seconds=stall,
        seconds_to_stop_itself=f"{stopped_after:.1f}",
        exit_code=exit_code,
        seconds_to_scored_after_stop=f"{waited:.1f}",
        worker_restarts=stack.worker_restarts - restarts_before,
        score_writes=score_writes(stack, [candidate.attempt])[candidate.attempt],
    )
    assert b"stopped taking work" in its_log
    assert exit_code == 70, exit_code  # ops.watchdog.EXIT_STALLED: an on-failure supervisor restarts it too
    assert stack.worker_restarts - restarts_before == 1
    assert stall < stopped_after < stall * 2 + 40
    assert score_writes(stack, [candidate.attempt])[candidate.attempt] == 1


def test_d_postgresql_restart_during_autosave_loses_no_acknowledged_answer(up):
    stack = up
    candidates = start_candidates(stack, SCALE.candidates, seed=400)
    for c in candidates:
        c.max_backoff = 2.0 if not LONG else 15.0
    restarted = {}

    def restart():
        time.sleep(SCALE.seconds / 3)
        started = time.monotonic()
        stack.pg.stop("fast")  # disconnects every client, as a restart or failover does
        restarted["stopped_s"] = time.monotonic() - started
        time.sleep(SCALE.outage)
        stack.pg.start()
        restarted["down_s"] = time.monotonic() - started

    thread = threading.Thread(target=restart)
    thread.start()
    try:
        autosave_for(candidates, SCALE.seconds + SCALE.outage)
    finally:
        thread.join()
    statuses, latencies = totals(candidates)
    lost = lost_answers(stack, candidates)
    failed = {k: v for k, v in statuses.items() if k != 200}
    report(
        "d. PostgreSQL restart during autosave",
        candidates=len(candidates),
        postgres_down_s=f"{restarted.get('down_s', 0):.1f}",
        requests=sum(statuses.values()),
        acknowledged=statuses[200],
        errors_then_retried=failed,
        positions_checked=sum(len(c.acked) for c in candidates),
        lost=len(lost),
        p50=ms(latencies, 50),
        p95=ms(latencies, 95),
    )
    assert "down_s" in restarted
    assert failed, "no request failed while PostgreSQL was down: the drill did not test anything"
    assert not lost, lost[:5]
    stack.wait_web()  # and the app serves again without a restart of its own


def test_e_a_candidate_whose_browser_closed_is_submitted_and_scored_after_the_deadline(up):
    stack = up
    restarts_before = stack.worker_restarts
    browser = stack.candidate()
    attempt = browser.start(stack.data["blink"], [("areas", stack.data["blink_area"]), ("count", "2")])
    candidate = Candidate(browser, attempt, random.Random(5))
    candidate.send(1, [0], False, 1)
    started_at, deadline = stack.query("SELECT started_at, deadline FROM exams_attempt WHERE id = %s", [attempt])[0]
    # The browser is closed now: nothing more comes from the candidate.
    if SCALE.move_clock:  # short drill: the deadline and its 30-second grace passed a moment ago
        stack.query(
            "UPDATE exams_attempt SET started_at = started_at - interval '40 seconds', "
            "deadline = deadline - interval '40 seconds' WHERE id = %s",
            [attempt],
        )
    waited = wait_scored(stack, [attempt], timeout=60 if not LONG else 200)
    status, by, submitted_at, scored_at, deadline_now = stack.query(
        "SELECT status, submitted_by, submitted_at, scored_at, deadline FROM exams_attempt WHERE id = %s", [attempt]
    )[0]
    answered = stack.query("SELECT selected FROM exams_attemptitem WHERE attempt_id = %s AND position = 1", [attempt])
    report(
        "e. browser closed, sweeper submits",
        exam_seconds=f"{(deadline - started_at).total_seconds():.0f}",
        submitted_by=by,
        submitted_s_after_deadline=f"{(submitted_at - deadline_now).total_seconds():.1f}",
        scored_s_after_submit=f"{(scored_at - submitted_at).total_seconds():.2f}",
        waited=f"{waited:.1f}",
        clock_moved=SCALE.move_clock,
        score_writes=score_writes(stack, [attempt])[attempt],
    )
    assert status == "scored" and by == "sweeper"
    assert answered[0][0] == [0], "the answer saved before the browser closed was not kept"
    assert score_writes(stack, [attempt])[attempt] == 1
    assert stack.worker_restarts == restarts_before, "a healthy worker stopped itself (ops.watchdog)"
