"""The published questions a start draws from, read once per process while the bank stays the same.

At 10:00 sharp thousands of candidates start the same exam, and each start used to read and unpack the exam's
whole published bank (a thousand rows) to draw 145–200 of them. The pool is the same for all of them, so each
web process keeps it, keyed by the exam and framework, and checks per start with one small aggregate query
(the bank's fingerprint) that it is still the bank: publishing, retiring, correcting a key or editing a live
question changes the count, the sum of live version ids or the latest `updated_at`, and the next start reads
the pool again. A change the fingerprint cannot see (a syllabus area's code renamed under unchanged questions)
is picked up within REREAD_SECONDS. What one person may not be given (exams.selectors.withheld_keys) and
the order they are drawn in (exams.services._priority) are per person and applied after.
"""

import time
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from questions.models import Question
from questions.selectors import published_questions

from .drawing import AreaIndex, Candidate

REREAD_SECONDS = 600

FINGERPRINT_SQL = (
    "SELECT count(*), coalesce(sum(published_version_id), 0), max(updated_at) FROM questions_question"
    " WHERE exam_id = %s AND published_version_id IS NOT NULL AND status <> %s"
)


@dataclass(frozen=True)
class Pool:
    candidates: tuple[Candidate, ...]  # by question id, as drawing.draw groups them
    index: AreaIndex  # the same, found by area as the draw asks
    area_and_kind: dict[int, tuple[int, str, str]]  # question id → (area id, area name, kind of its live version)
    published_at: dict[int, datetime]  # live version id → when it was published (its fragments' key)


_memo: dict[tuple[int, str], tuple[tuple, float, Pool]] = {}


def published_pool(*, exam_id: int, framework: str) -> Pool:
    """The exam's live questions a candidate of this framework can be given: common ones, plus the chosen
    framework's on an exam with frameworks (framework COMMON: common ones only)."""
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT_SQL, [exam_id, Question.Status.RETIRED])
        fingerprint = tuple(cursor.fetchone())
    key = (exam_id, framework)
    memo = _memo.get(key)
    if memo and memo[0] == fingerprint and time.monotonic() - memo[1] < REREAD_SECONDS:
        return memo[2]
    pool = _read(exam_id=exam_id, framework=framework)
    _memo[key] = (fingerprint, time.monotonic(), pool)
    return pool


def _read(*, exam_id: int, framework: str) -> Pool:
    frameworks = [Question.Framework.COMMON]
    if framework != Question.Framework.COMMON:
        frameworks.append(framework)
    rows = (
        published_questions()
        .filter(exam=exam_id, framework__in=frameworks)
        .order_by("pk")
        .values_list(
            "pk",
            "published_version_id",
            "area__code",
            "stimulus_id",
            "area_id",
            "area__name",
            "published_version__kind",
            "published_version__published_at",
        )
    )
    candidates, area_and_kind, published_at = [], {}, {}
    for qid, vid, code, stimulus_id, area_id, area_name, kind, at in rows:
        candidates.append(Candidate(qid, vid, code, stimulus_id))
        area_and_kind[qid] = (area_id, area_name, kind)
        published_at[vid] = at
    return Pool(tuple(candidates), AreaIndex(candidates), area_and_kind, published_at)


def forget() -> None:
    """Drop this process's pools (tests that rebuild the bank under the same fingerprint)."""
    _memo.clear()
