"""Restore drills: back up the private stack's database during an exam, destroy it, restore, and find every
acknowledged answer and every scored result as it was (docs/operations.md, "Backups and the restore drill").

- pg_dump (short and long): a logical dump taken while candidates keep saving; the restore holds every answer
  acknowledged before the dump began.
- Base backup + WAL archive (make faults only): pg_basebackup mid-exam, the exam goes on (more answers, more
  scoring), the data directory is deleted, and point-in-time recovery replays the archive to its end; the
  restore holds every answer acknowledged before the archive's last segment, which archive_timeout bounds."""

import subprocess
import threading
import time

import pytest

from tests.faults.conftest import DB, LONG, SCALE, Stack
from tests.faults.services import PG_BIN, wait_for
from tests.faults.test_drills import (
    MINI_POSITIONS,
    autosave_for,
    lost_answers,
    report,
    start_candidates,
    wait_scored,
)

pytestmark = [pytest.mark.faults]

RESULT_SQL = (
    "SELECT id, status, correct_count, score, passed, scored_at FROM exams_attempt WHERE id = ANY(%s) ORDER BY id"
)
AREA_SQL = (
    "SELECT attempt_id, area_id, correct, total FROM exams_attemptarearesult WHERE attempt_id = ANY(%s) "
    "ORDER BY attempt_id, area_id"
)


def scored_results(stack: Stack, attempt_ids: list[int]) -> tuple[list, list]:
    return stack.query(RESULT_SQL, [attempt_ids]), stack.query(AREA_SQL, [attempt_ids])


def an_exam_under_way(stack: Stack, seed: int):
    """Candidates with every position answered and acknowledged; half of them submitted and scored."""
    candidates = start_candidates(stack, max(4, SCALE.candidates), seed=seed)
    for c in candidates:
        for position in range(1, MINI_POSITIONS + 1):
            c.seq += 1
            c.send(position, [c.rng.randrange(3)], False, c.seq)
    finished, sitting = candidates[: len(candidates) // 2], candidates[len(candidates) // 2 :]
    for c in finished:
        assert c.browser.submit(c.attempt).status == 200
    scored_ids = [c.attempt for c in finished]
    wait_scored(stack, scored_ids, timeout=60 if not LONG else 200)
    return sitting, scored_ids, scored_results(stack, scored_ids)


def acknowledged_so_far(candidates) -> list:
    """The candidates as they stood at this moment: what had been acknowledged then."""
    return [type(c)(c.browser, c.attempt, c.rng, acked=dict(c.acked)) for c in candidates]


def pg(stack: Stack, tool: str, *args: str) -> None:
    """A PostgreSQL client tool (pg_dump, pg_restore, pg_basebackup) connected to the drill's private cluster."""
    connection = ["-h", "127.0.0.1", "-p", str(stack.pg.port), "-U", "postgres"]
    done = subprocess.run(
        [*stack.pg.as_owner, str(PG_BIN / tool), *connection, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{tool}: {done.stdout}{done.stderr}"


def app_writes_again(stack: Stack, candidates) -> None:
    """After the restore the site serves and saves without a restart of its own."""
    stack.wait_web()
    c = candidates[0]
    c.seq += 1
    c.send(1, [2], True, c.seq, give_up_after=60)


def test_f_pg_dump_taken_during_the_exam_restores_every_acknowledged_answer_and_score(up):
    stack = up
    sitting, scored_ids, results = an_exam_under_way(stack, seed=600)
    dump = stack.pg.dir.parent / "moshi.dump"
    before_dump = acknowledged_so_far(sitting)
    saving = threading.Thread(target=autosave_for, args=(sitting, 2.0 if not LONG else 10.0))
    saving.start()  # candidates keep saving while the dump runs
    started = time.monotonic()
    pg(stack, "pg_dump", "-Fc", "-f", str(dump), DB)
    dumped_s = time.monotonic() - started
    saving.join()

    # The disaster: the database is gone (connections cut, as a failed disk or a DROP would).
    stack.query("SELECT 1")
    admin = stack.pg.connect("postgres")
    admin.cursor().execute(f"DROP DATABASE {DB} WITH (FORCE)")
    admin.cursor().execute(f"CREATE DATABASE {DB}")
    admin.close()
    stack._db = None
    assert stack.query("SELECT count(*) FROM pg_tables WHERE tablename = 'exams_attempt'")[0][0] == 0
    started = time.monotonic()
    # One transaction: the stack keeps running (beat, worker heartbeats) and must not write into a table before
    # its constraints exist (docs/operations.md).
    pg(stack, "pg_restore", "--single-transaction", "-d", DB, str(dump))
    restored_s = time.monotonic() - started

    lost = lost_answers(stack, before_dump)
    after = scored_results(stack, scored_ids)
    report(
        "f. pg_dump restore",
        candidates_sitting=len(sitting),
        scored_attempts=len(scored_ids),
        answers_checked=sum(len(c.acked) for c in before_dump),
        dump_kb=dump.stat().st_size // 1024,
        dump_s=f"{dumped_s:.1f}",
        restore_s=f"{restored_s:.1f}",
        lost=len(lost),
        scored_results_changed=int(after != results),
    )
    assert not lost, lost[:5]
    assert after == results
    app_writes_again(stack, sitting)


@pytest.mark.skipif(not LONG, reason="make faults: the base backup and WAL archive drill restarts PostgreSQL twice")
def test_g_base_backup_and_wal_archive_restore_to_the_last_archived_answer(up):
    stack = up
    pgdir = stack.pg.dir
    archive, backup = pgdir.parent / "wal-archive", pgdir.parent / "base-backup"
    stack.pg._run("mkdir", "-p", str(archive))
    # Continuous archiving as docs/operations.md configures it; archive_timeout bounds what a lost disk can take.
    for name, value in (
        ("archive_mode", "on"),
        ("archive_command", f"test ! -f {archive}/%f && cp %p {archive}/%f"),
        ("archive_timeout", "5s"),
    ):
        stack.query(f"ALTER SYSTEM SET {name} TO %s", [value])
    stack.pg.stop("fast")
    stack.pg.start()
    stack.wait_web()

    sitting, scored_ids, _ = an_exam_under_way(stack, seed=700)
    pg(stack, "pg_basebackup", "-D", str(backup), "-X", "stream", "-c", "fast")
    # The exam goes on after the backup: more answers, more attempts scored; only the archive holds these.
    autosave_for(sitting, 5 if not LONG else 30)
    late_finishers = sitting[: len(sitting) // 2]
    for c in late_finishers:
        assert c.browser.submit(c.attempt).status == 200
    scored_ids += [c.attempt for c in late_finishers]
    wait_scored(stack, scored_ids, timeout=200)
    results = scored_results(stack, scored_ids)
    last_lsn = stack.query("SELECT pg_current_wal_insert_lsn()")[0][0]
    last_segment = stack.query("SELECT pg_walfile_name(%s)", [last_lsn])[0][0]
    wait_for(
        lambda: (stack.query("SELECT last_archived_wal FROM pg_stat_archiver")[0][0] or "") >= last_segment,
        60,
        "the last answer's WAL segment to be archived",
    )

    # The disaster: PostgreSQL dies and its data directory is gone.
    acked = acknowledged_so_far(sitting)
    stack._db = None
    stack.pg.stop("immediate")
    stack.pg._run("rm", "-rf", str(pgdir))
    # The restore: the base backup, then every archived segment replayed to the end (point-in-time recovery
    # would add recovery_target_time here).
    started = time.monotonic()
    stack.pg._run("cp", "-a", str(backup), str(pgdir))
    stack.pg._run("chmod", "700", str(pgdir))
    stack.pg._run("touch", str(pgdir / "recovery.signal"))
    stack.pg._run("sh", "-c", f"echo \"restore_command = 'cp {archive}/%f %p'\" >> {pgdir}/postgresql.auto.conf")
    stack.pg.start()
    wait_for(lambda: stack.query("SELECT NOT pg_is_in_recovery()")[0][0], 120, "recovery to finish")
    restored_s = time.monotonic() - started

    lost = lost_answers(stack, acked)
    after = scored_results(stack, scored_ids)
    report(
        "g. base backup + WAL archive restore",
        candidates_sitting=len(sitting),
        scored_attempts=len(scored_ids),
        answers_checked=sum(len(c.acked) for c in acked),
        archived_segments=len(list(archive.iterdir())),
        restore_s=f"{restored_s:.1f}",
        lost=len(lost),
        scored_results_changed=int(after != results),
    )
    assert not lost, lost[:5]
    assert after == results
    app_writes_again(stack, sitting[len(late_finishers) :])  # those still sitting the exam
