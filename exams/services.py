"""Writes of the exam: start, autosave, submit, score. Each one a transaction; transitions are
conditional UPDATEs so two racing requests can never both win."""

import json
import logging
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from common.prepared import PreparedQuery
from questions.models import Question, SyllabusArea, VersionChoice

from . import estimates
from .drawing import Candidate, Quota, ShortBank, draw, in_area
from .fragments import version_fragments
from .models import (
    Attempt,
    AttemptAreaResult,
    AttemptItem,
    Blueprint,
    BlueprintQuota,
    Exposure,
    ItemParameters,
    KeyHold,
    PassStandard,
    QuestionNote,
)
from .pool import published_pool
from .scoring import ItemKey, ScoreResult, score_items
from .selectors import ExamItem, withheld_keys

logger = logging.getLogger(__name__)

MAX_CHOICES = 16  # screen positions a choice can have; larger numbers are refused before any query
# Answers that left the browser just before the deadline are still accepted for this long.
GRACE = timedelta(seconds=30)


class ExamError(Exception):
    """A refusal the candidate should read; views turn it into a 4xx with this message."""

    status = 400


class NotAllowed(ExamError):
    status = 403


class NotFoundError(ExamError):
    status = 404


class AttemptClosed(ExamError):
    status = 409


class BankTooSmall(ExamError):
    """A full form the bank cannot fill: the operators' problem, so the learner reads an apology and the
    log names the short areas."""

    status = 409

    def __init__(self, short: dict[str, tuple[int, int]], names: dict[str, str]):
        self.short = short
        self.detail = "、".join(
            f"{names.get(code, code)}（必要 {need} 問 / 出題可能 {have} 問）" for code, (need, have) in short.items()
        )
        logger.error("blueprint cannot be filled: %s", self.detail)
        super().__init__(_("この模擬試験は問題を準備中のため、今は開始できません。時間をおいてお試しください。"))


class NothingToDrill(ExamError):
    """No question of the exam can be drilled now: every one is held by an open attempt or an assignment."""

    status = 409

    def __init__(self):
        super().__init__(
            _(
                "今ドリルに出せる問題がありません。受験中の模擬試験の問題と、解答・解説の公開を待っている課題の"
                "問題は、提出・公開までドリルに出しません。"
            )
        )


def blueprint_available_to(*, blueprint: Blueprint, user) -> bool:
    return bool(_AVAILABLE.rows(user_id=user.pk, blueprint_id=blueprint.pk))


# The start's reads, compiled once per process (common.prepared): exam day's hot path.
_AVAILABLE = PreparedQuery(
    lambda user_id, blueprint_id: Blueprint.objects.available_to(user_id).filter(pk=blueprint_id).values_list("pk")[:1],
    "user_id",
    "blueprint_id",
)
_OPEN_ATTEMPT = PreparedQuery(
    lambda user_id, blueprint_id: Attempt.objects.filter(
        user_id=user_id, blueprint_id=blueprint_id, status=Attempt.Status.OPEN
    ).values_list("pk")[:1],
    "user_id",
    "blueprint_id",
)
_QUOTAS = PreparedQuery(
    lambda blueprint_id: BlueprintQuota.objects.filter(blueprint_id=blueprint_id).values_list("area__code", "count"),
    "blueprint_id",
)
_MET = PreparedQuery(  # the questions a person met in a scored attempt or studied with the key shown
    lambda user_id: (
        AttemptItem.objects.filter(attempt__user_id=user_id, attempt__status=Attempt.Status.SCORED)
        .values_list("version__question_id")
        .order_by()
        .union(Exposure.objects.filter(user_id=user_id).values_list("question_id").order_by(), all=True)
    ),
    "user_id",
)


def attempt_start(
    *,
    user,
    blueprint: Blueprint,
    framework: str = "",
    drill_areas: list[str] | None = None,
    drill_count: int = 0,
    resume_only: bool = False,
) -> Attempt:
    """Start an attempt, or resume the open one with its remaining time. `resume_only` (the start form did not
    validate): resume, or raise ExamError, never start."""
    if not blueprint_available_to(blueprint=blueprint, user=user):
        raise NotAllowed(_("この模擬試験は受験できません。"))
    open_ids = _OPEN_ATTEMPT.rows(user_id=user.pk, blueprint_id=blueprint.pk)
    # Still open when read whole: submitted or swept in between, it is not resumed (a new one starts).
    open_attempt = open_ids and Attempt.objects.filter(pk=open_ids[0][0], status=Attempt.Status.OPEN).first()
    if open_attempt:
        return open_attempt
    if resume_only:
        raise ExamError(_("入力内容を確認してください。"))
    if blueprint.requires_framework and framework not in (Question.Framework.PYTORCH, Question.Framework.TENSORFLOW):
        raise ExamError(_("PyTorch か TensorFlow を選んでから開始してください。"))
    if not blueprint.requires_framework:
        framework = Question.Framework.COMMON

    if blueprint.is_drill:
        if not drill_areas or not 1 <= drill_count <= 100:
            raise ExamError(_("分野を1つ以上選び、問題数を1〜100で指定してください。"))
    else:
        quotas = [Quota(code, count) for code, count in _QUOTAS.rows(blueprint_id=blueprint.pk)]
        count, minutes_seconds = blueprint.question_count, blueprint.minutes * 60

    # Never a question the person may not see the key of yet (an open attempt's, a held mock's).
    pool = published_pool(exam_id=blueprint.exam_id, framework=framework)
    withheld = withheld_keys(user_id=user.pk)
    priority = _priority(user=user, drill=blueprint.is_drill)
    seed = secrets.randbits(62)
    rng = random.Random(seed)
    if blueprint.is_drill:
        candidates = [c for c in pool.candidates if c.question_id not in withheld]
        drawn = _draw_drill(
            candidates, drill_areas, drill_count, rng, shuffle=blueprint.shuffle_questions, priority=priority
        )
        count, minutes_seconds = len(drawn), blueprint.seconds_per_question * len(drawn)
    else:
        try:
            drawn = draw(
                pool.index,
                quotas,
                rng,
                shuffle=blueprint.shuffle_questions,
                priority=priority,
                unlisted=UNSEEN,
                exclude=withheld,
            )
        except ShortBank as exc:
            names = dict(SyllabusArea.objects.filter(code__in=exc.short).values_list("code", "name"))
            raise BankTooSmall(exc.short, names) from exc

    # The versions' choices (in the author's order) from the fragments the exam page is built from: usually in
    # memory already, so no query.
    fragments = version_fragments((c.version_id, pool.published_at[c.version_id]) for c in drawn)

    now = timezone.now()
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                user=user,
                blueprint=blueprint,
                framework=framework,
                seed=seed,
                started_at=now,
                deadline=now + timedelta(seconds=minutes_seconds),
                question_count=count,
                pass_ratio=blueprint.pass_ratio,
            )
            rows, items = [], []
            for position, c in enumerate(drawn, start=1):
                fragment = fragments[c.version_id]
                order = list(fragment.choice_ids)
                if blueprint.shuffle_choices:
                    rng.shuffle(order)
                area_id, area_name, kind = pool.area_and_kind[c.question_id]
                rows.append((position, c.version_id, area_id, order, kind == Question.Kind.MULTIPLE))
                items.append(ExamItem(position, area_name, fragment, order, [], False, 0))
            _insert_items(attempt.pk, rows)
    except IntegrityError:
        # A second tab started the same blueprint at the same moment: resume the attempt it created.
        return Attempt.objects.get(user=user, blueprint=blueprint, status=Attempt.Status.OPEN)
    attempt.drawn_items = items  # what was just written, as the exam page shows it: the page needs no query
    return attempt


INSERT_ITEMS_SQL = (
    "INSERT INTO exams_attemptitem (attempt_id, position, version_id, area_id, choice_order, choice_count, multiple,"
    " selected, flagged, client_seq) "
)
# PostgreSQL: six arrays unnested into rows, so the statement and its parameters stay the same size whatever
# the number of items (200 rows as VALUES tuples cost ~1.5 ms of CPU to build and quote; the arrays ~0.3 ms).
UNNEST_ITEMS = (
    "SELECT %s, position, version_id, area_id, choice_order::jsonb, choice_count, multiple, '[]'::jsonb, false, 0"
    " FROM unnest(%s::int[], %s::int[], %s::int[], %s::text[], %s::int[], %s::bool[])"
    " AS item(position, version_id, area_id, choice_order, choice_count, multiple)"
)


def _insert_items(attempt_id: int, rows: list[tuple[int, int, int, list[int], bool]]) -> None:
    """The attempt's items, (position, version, area, choice order, multiple) each, in one INSERT statement.
    The start is exam day's hot path: preparing 200 model instances for bulk_create cost more CPU than the
    rest of the start. The columns with defaults are given here because the database has no defaults of
    Django's; AttemptItem's fields say what each means. Runs on PostgreSQL and SQLite."""
    if not rows:
        return
    positions, versions, areas, orders, multiple = zip(*rows, strict=True)
    orders_json = ["[" + ",".join(map(str, order)) + "]" for order in orders]  # JSON lists of ids, made cheaply
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As array literals of digits: psycopg2 adapting 1,200 list elements one by one cost ~10× more CPU.
            params = [
                attempt_id,
                _array(positions),
                _array(versions),
                _array(areas),
                "{" + ",".join(f'"{order}"' for order in orders_json) + "}",
                _array(len(order) for order in orders),
                "{" + ",".join("t" if multi else "f" for multi in multiple) + "}",
            ]
            cursor.execute(INSERT_ITEMS_SQL + UNNEST_ITEMS, params)
            return
        params = []
        for position, version_id, area_id, order, order_json, multi in zip(
            positions, versions, areas, orders, orders_json, multiple, strict=True
        ):
            params += [attempt_id, position, version_id, area_id, order_json, len(order), multi, "[]", False]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, 0)"] * len(rows))
        cursor.execute(INSERT_ITEMS_SQL + "VALUES " + values, params)


def _array(numbers) -> str:
    """A PostgreSQL array literal of integers."""
    return "{" + ",".join(map(str, numbers)) + "}"


MISSED, UNSEEN, ANSWERED_RIGHT = 0, 1, 2
SEEN = 2  # a full mock's questions met before, drawn last


def _priority(*, user, drill: bool) -> dict[int, int]:
    """Which questions a new attempt draws first (lower first; the rest at random). A full mock draws questions
    the candidate has not met before first, so its score measures knowledge rather than memory (the report
    shows the score on questions seen before apart). A drill draws the questions the candidate got wrong the
    last time they met them, then unseen ones, then the ones they got right."""
    if not drill:  # only whether each was met (in a scored attempt, or studied with its key shown): no order needed
        return {question_id: SEEN for (question_id,) in _MET.rows(user_id=user.pk)}
    scored = AttemptItem.objects.filter(attempt__user=user, attempt__status=Attempt.Status.SCORED)
    last_result: dict[int, bool] = {}
    for question_id, correct in scored.order_by("attempt__scored_at", "pk").values_list(
        "version__question_id", "is_correct"
    ):
        last_result[question_id] = bool(correct)
    return {qid: ANSWERED_RIGHT if correct else MISSED for qid, correct in last_result.items()}


def _draw_drill(candidates: list[Candidate], area_codes: list[str], count: int, rng, *, shuffle: bool, priority):
    """A drill always starts something useful: the chosen areas' questions; if they have none to give now (all
    held by an open attempt, say), their top-level areas'; failing that, the whole exam's. As many as there
    are, up to `count` (the page says when it is fewer, or from wider areas)."""
    tops = sorted({code.split(".")[0] for code in area_codes})
    everything = sorted({c.area_code.split(".")[0] for c in candidates})
    for codes in (sorted(set(area_codes)), tops, everything):
        quotas = _drill_quotas(codes, count, candidates)
        if quotas:
            try:
                return draw(candidates, quotas, rng, shuffle=shuffle, priority=priority, unlisted=UNSEEN)
            except ShortBank:  # linked sets that do not fit: try the wider areas
                continue
    raise NothingToDrill()


def _drill_quotas(area_codes: list[str], count: int, candidates: list[Candidate]) -> list[Quota]:
    """Spread up to `count` questions over the areas as evenly as their available questions allow."""
    left = {code: sum(in_area(c, code) for c in candidates) for code in area_codes}
    given = dict.fromkeys(area_codes, 0)
    while count and any(left.values()):
        for code in area_codes:
            if count and left[code]:
                given[code], left[code], count = given[code] + 1, left[code] - 1, count - 1
    return [Quota(code, n) for code, n in given.items() if n]


@dataclass
class SaveResult:
    saved: bool
    stale: bool = False
    seq: int = 0  # when stale: the newer sequence number the server already has


def answer_save(*, user, attempt_id: int, position: int, selected: list[int], flagged: bool, seq: int) -> SaveResult:
    """Autosave one item in one conditional UPDATE that also enforces ownership, openness, the deadline
    (plus grace), the item's choices and the sequence number, so no read is needed first."""
    if not isinstance(selected, list) or any(
        not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < MAX_CHOICES for i in selected
    ):
        raise ExamError(_("選択が正しくありません。"))
    selected = sorted(set(selected))
    now = timezone.now()
    if _save_item(user.pk, attempt_id, position, selected, bool(flagged), seq, now):
        return SaveResult(saved=True)
    return _explain_refusal(user=user, attempt_id=attempt_id, position=position, selected=selected, now=now)


SAVE_ITEM_SQL = """
UPDATE exams_attemptitem SET selected = %(selected)s, flagged = %s, client_seq = %s,
  answered_at = CASE WHEN exams_attemptitem.selected = %(selected)s THEN exams_attemptitem.answered_at ELSE %s END
FROM exams_attempt
WHERE exams_attemptitem.attempt_id = exams_attempt.id
  AND exams_attempt.id = %s AND exams_attempt.user_id = %s AND exams_attempt.status = %s AND exams_attempt.deadline > %s
  AND exams_attemptitem.position = %s AND exams_attemptitem.client_seq < %s AND exams_attemptitem.choice_count > %s
  AND (exams_attemptitem.multiple OR %s)
"""


def _save_item(user_id, attempt_id, position, selected, flagged, seq, now) -> bool:
    # The hottest write in Moshi (every click of every candidate), so one hand-written UPDATE … FROM:
    # the ORM can only express the attempt conditions as a sub-select and spends milliseconds building it.
    # Runs on PostgreSQL and on SQLite (3.33+).
    sql = SAVE_ITEM_SQL.replace("%(selected)s", "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s")
    adapt = connection.ops.adapt_datetimefield_value
    # answered_at moves only when the answer changes (not on a flag), so reports can time the answers.
    params = [
        json.dumps(selected),
        flagged,
        seq,
        json.dumps(selected),
        adapt(now),
        attempt_id,
        user_id,
        Attempt.Status.OPEN,
        adapt(now - GRACE),
        position,
        seq,
        selected[-1] if selected else -1,
        len(selected) <= 1,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def _explain_refusal(*, user, attempt_id, position, selected, now) -> SaveResult:
    item = (
        AttemptItem.objects.filter(attempt_id=attempt_id, attempt__user_id=user.pk, position=position)
        .select_related("attempt")
        .only("client_seq", "choice_count", "multiple", "attempt__status", "attempt__deadline")
        .first()
    )
    if item is None:
        raise NotFoundError(_("この受験は見つかりません。"))
    if item.attempt.status != Attempt.Status.OPEN or item.attempt.deadline <= now - GRACE:
        raise AttemptClosed(_("試験時間が終了したため、この解答は保存されませんでした。"))
    if selected and (selected[-1] >= item.choice_count or (len(selected) > 1 and not item.multiple)):
        raise ExamError(_("この問題にない選択肢です。"))
    # An older request arrived after a newer one (or from an outdated page): ignored, with the newer number.
    return SaveResult(saved=False, stale=True, seq=item.client_seq)


class IllegalTransition(Exception):
    """A programming error: a status change the state machine (Attempt.TRANSITIONS) does not allow."""


def attempt_transition(*, attempt_id: int, source: str, target: str, **changes) -> bool:
    """The one way an attempt's status or result changes (edx-proctoring's update_attempt_status, small):
    refuses a move Attempt.TRANSITIONS does not allow, and otherwise is one conditional UPDATE, so of two
    racing requests only one moves the attempt, and it stamps updated_at (a bare QuerySet.update() skips
    auto_now, and the API's updated_since sync would never see the change). Returns whether it moved."""
    if target not in Attempt.TRANSITIONS[source]:
        raise IllegalTransition(f"{source} → {target}")
    return bool(
        Attempt.objects.filter(pk=attempt_id, status=source).update(status=target, updated_at=timezone.now(), **changes)
    )


def attempt_submit(*, attempt: Attempt, by: str = Attempt.SubmittedBy.CANDIDATE) -> bool:
    """OPEN → SUBMITTED, then scoring is queued after commit. Submitting twice is harmless.
    If the broker is down the submit still succeeds; the sweeper queues scoring later."""
    with transaction.atomic():
        moved = attempt_transition(
            attempt_id=attempt.pk,
            source=Attempt.Status.OPEN,
            target=Attempt.Status.SUBMITTED,
            submitted_at=timezone.now(),
            submitted_by=by,
        )
        if moved:
            transaction.on_commit(lambda: queue_scoring(attempt.pk))
    return moved


def attempt_abandon(*, user, attempt_id: int) -> None:
    """Stop a drill and discard it: no result, nothing counted, its questions free to be drawn again. A full
    mock is never abandoned (it is submitted, as the real exam would be), and only its owner may stop it."""
    attempt = Attempt.objects.filter(pk=attempt_id, user=user).select_related("blueprint").first()
    if attempt is None:
        raise NotAllowed(_("この受験は見つかりません。"))
    if not attempt.blueprint.is_drill:
        raise NotAllowed(_("本番形式の模擬試験は破棄できません。最後まで解くか、提出してください。"))
    if not attempt_transition(attempt_id=attempt.pk, source=Attempt.Status.OPEN, target=Attempt.Status.ABANDONED):
        raise ExamError(_("このドリルはすでに終了しています。"))


def queue_scoring(attempt_id: int) -> None:
    from .tasks import score_attempt

    try:
        score_attempt.delay(attempt_id)
    except Exception:  # broker down: the attempt stays SUBMITTED and the sweeper re-queues it
        logger.warning("could not queue scoring for attempt %s; the sweeper will retry", attempt_id, exc_info=True)


SCORE_STATEMENT_TIMEOUT = 120  # seconds; a task's soft time limit is 240 (CELERY_TASK_SOFT_TIME_LIMIT)
SCORE_BATCH = 200  # attempts one scoring task takes at once: 10,000 submitted at a deadline are 50 batches


def attempt_score(*, attempt_id: int, batch_size: int = SCORE_BATCH) -> bool:
    """Score a SUBMITTED attempt once, and with it up to batch_size - 1 others waiting (oldest submit first), so
    a deadline's thousands of tasks become a few set-based batches; the tasks of attempts scored in someone
    else's batch find them SCORED and stop. Idempotent and exactly-once: the batch's rows are locked (others'
    locked rows skipped) and each moves SUBMITTED → SCORED through attempt_transition. Returns whether this
    call's attempt was scored by it."""
    return attempt_id in attempts_score(attempt_ids=[attempt_id], fill_to=batch_size)


def attempts_score(*, attempt_ids: list[int], fill_to: int = 0) -> set[int]:
    """Score those of these attempts that are SUBMITTED and not being scored by another process right now, in
    one transaction; returns the ids it scored. With fill_to, the batch is filled up to that many with other
    waiting attempts (oldest submit first) that no other scorer holds, so concurrent scorers take disjoint
    batches instead of queueing behind one. On PostgreSQL item correctness, seen-before and the per-area
    result rows are one set-based statement for the whole batch (score_batch_sql); elsewhere the per-item
    Python scoring (compute_results) gives the same rows (tests/exams/test_set_scoring.py compares them)."""
    waiting = Attempt.objects.select_for_update(of=("self",), skip_locked=True).filter(status=Attempt.Status.SUBMITTED)
    with transaction.atomic():
        ids = list(waiting.filter(pk__in=attempt_ids).values_list("pk", flat=True))
        if fill_to > len(ids):
            others = waiting.exclude(pk__in=attempt_ids).order_by("submitted_at", "pk")
            ids += others.values_list("pk", flat=True)[: fill_to - len(ids)]
        attempts = list(Attempt.objects.filter(pk__in=ids).select_related("blueprint__exam").order_by("pk"))
        if not attempts:
            return set()
        scored_at = timezone.now()
        if connection.vendor != "postgresql":
            results = compute_results(attempts)
            for attempt in attempts:
                write_result(attempt, results[attempt.pk], scored_at=scored_at)
            return {a.pk for a in attempts}
        ids = [a.pk for a in attempts]
        AttemptAreaResult.objects.filter(attempt_id__in=ids).delete()  # none unless a scoring was cut short
        with connection.cursor() as cursor:
            # Ended by PostgreSQL before Celery's time limit kills the task: a statement whose client was killed
            # would run on, holding its batch's row locks, while the sweeper queues the batch again.
            cursor.execute("SET LOCAL statement_timeout = %s", [f"{SCORE_STATEMENT_TIMEOUT}s"])
            cursor.execute(SCORE_BATCH_SQL, {"ids": ids})
        for attempt, scored in _results_from_rows(attempts).items():
            _write_attempt_result(attempt, scored, scored_at=scored_at)
    return {a.pk for a in attempts}


# One statement for a batch (PostgreSQL): each item right when exactly the key's choices were selected (the
# selected screen positions mapped through choice_order; a version without a key is never right, as in
# exams.scoring), seen before when the person met its question earlier (a finished attempt started before this
# one, or study mode's Exposure), and the per-area rows (leaf and top level) counted from the updated items.
# Written so that no plan can scan the items table per item, whatever the planner's statistics say (at a first
# deadline the table has grown by millions of rows since it was last analysed): the batch's items are reached from
# the unnested ids through the (attempt, position) index; every key is read once from the small choices table; the
# questions each person met before are found once per batch, from their earlier attempts' items by the same
# index, and joined (as a correlated EXISTS per item, a stale plan scanned the whole table for each item).
SCORE_BATCH_SQL = """
WITH keys AS MATERIALIZED (
  SELECT version_id, array_agg(id ORDER BY id) AS key FROM questions_versionchoice WHERE is_correct GROUP BY version_id
), earlier AS MATERIALIZED (
  SELECT a.id AS attempt_id, ea.id AS earlier_id
  FROM exams_attempt AS a
  JOIN exams_attempt AS ea ON ea.user_id = a.user_id AND ea.started_at < a.started_at AND ea.status <> 'open'
  WHERE a.id = ANY(%(ids)s::bigint[])
), seen AS MATERIALIZED (
  SELECT DISTINCT earlier.attempt_id, ev.question_id
  FROM exams_attemptitem AS e
  JOIN earlier ON earlier.earlier_id = e.attempt_id
  JOIN questions_questionversion AS ev ON ev.id = e.version_id
  WHERE e.attempt_id = ANY(ARRAY(SELECT earlier_id FROM earlier))
), scored AS (
  UPDATE exams_attemptitem AS i SET
    is_correct = COALESCE(k.key = ARRAY(
      SELECT DISTINCT (i.choice_order ->> p::int)::bigint
      FROM jsonb_array_elements_text(i.selected) AS p
      WHERE p::int < jsonb_array_length(i.choice_order)
      ORDER BY 1), false),
    seen_before = COALESCE(i.seen_before, s.question_id IS NOT NULL OR EXISTS (
      SELECT 1 FROM exams_exposure AS x
      WHERE x.user_id = a.user_id AND x.question_id = v.question_id AND x.first_at < a.started_at
    ))
  FROM unnest(%(ids)s::bigint[]) AS batch(attempt_id)
    JOIN exams_attempt AS a ON a.id = batch.attempt_id
    CROSS JOIN questions_questionversion AS v
    LEFT JOIN keys AS k ON k.version_id = v.id
    LEFT JOIN seen AS s ON s.attempt_id = a.id AND s.question_id = v.question_id
  WHERE i.attempt_id = batch.attempt_id AND v.id = i.version_id
  RETURNING i.attempt_id, i.area_id, i.is_correct
)
INSERT INTO exams_attemptarearesult (attempt_id, area_id, correct, total)
SELECT s.attempt_id, counted.area_id, SUM(s.is_correct::int), COUNT(*)
FROM scored AS s
JOIN questions_syllabusarea AS area ON area.id = s.area_id
CROSS JOIN LATERAL (VALUES (area.id), (area.parent_id)) AS counted(area_id)
WHERE counted.area_id IS NOT NULL
GROUP BY s.attempt_id, counted.area_id
"""


def _results_from_rows(attempts: list[Attempt]) -> dict[Attempt, "Scored"]:
    """After SCORE_BATCH_SQL: each attempt's result and estimates from its scored items (one query for the items,
    and the estimates' parameters and standards, however many attempts)."""
    items: dict[int, list] = {a.pk: [] for a in attempts}
    for attempt_id, *row in AttemptItem.objects.filter(attempt_id__in=items).values_list(
        "attempt_id",
        "pk",
        "is_correct",
        "seen_before",
        "version__question_id",
        "choice_count",
        "multiple",
        "version__question__difficulty",
    ):
        items[attempt_id].append(row)
    params = estimates.parameters_for({row[3] for rows in items.values() for row in rows})
    exams = {a.blueprint.exam_id: a.blueprint.exam for a in attempts}
    standards = {exam_id: estimates.standard_for(exam) for exam_id, exam in exams.items()}
    results = {}
    for attempt in attempts:
        rows = items[attempt.pk]
        correct = sum(bool(row[1]) for row in rows)
        score = correct / len(rows) if rows else 0.0
        result = ScoreResult(correct=correct, total=len(rows), score=score, passed=score >= attempt.pass_ratio)
        facts = [
            estimates.ItemFacts(qid, bool(ok), bool(seen), n, multiple, d) for _, ok, seen, qid, n, multiple, d in rows
        ]
        standard = None if attempt.blueprint.is_drill else standards[attempt.blueprint.exam_id]
        seen = {row[0] for row in rows if row[2]}
        results[attempt] = Scored(result, estimates.estimate(facts, params, standard), seen)
    return results


@dataclass(frozen=True)
class Scored:
    result: ScoreResult
    estimate: estimates.Estimate
    seen_before: set[int]  # item ids of questions the person met in an earlier attempt


def compute_results(attempts: list[Attempt], key_override: dict[int, set[int]] | None = None) -> dict[int, Scored]:
    """Results against the keys of the versions shown (or corrected keys, for a regrade), with the ability and
    pass estimates: a fixed number of queries however many attempts (attempts need blueprint__exam)."""
    items: dict[int, list] = {a.pk: [] for a in attempts}
    for row in AttemptItem.objects.filter(attempt_id__in=items).values_list(
        "attempt_id",
        "pk",
        "version_id",
        "area_id",
        "choice_order",
        "selected",
        "version__question_id",
        "version__question__difficulty",
        "choice_count",
        "multiple",
        "seen_before",
    ):
        items[row[0]].append(row[1:])
    rows = [row for attempt_rows in items.values() for row in attempt_rows]
    keys: dict[int, set[int]] = {version_id: set() for _, version_id, *_ in rows}
    for vid, cid in VersionChoice.objects.filter(version_id__in=keys, is_correct=True).values_list("version_id", "pk"):
        keys[vid].add(cid)
    keys |= key_override or {}
    area_parents = dict(
        SyllabusArea.objects.filter(pk__in={area_id for _, _, area_id, *_ in rows}).values_list("pk", "parent_id")
    )
    params = estimates.parameters_for({row[5] for row in rows})
    seen = _seen_before(attempts, items)
    exams = {a.blueprint.exam_id: a.blueprint.exam for a in attempts}
    standards = {exam_id: estimates.standard_for(exam) for exam_id, exam in exams.items()}
    scored = {}
    for attempt in attempts:
        result = score_items(
            [
                ItemKey(
                    item_id=item_id,
                    area_id=area_id,
                    parent_area_id=area_parents.get(area_id),
                    selected_ids={order[p] for p in selected if p < len(order)},
                    correct_ids=keys[version_id],
                )
                for item_id, version_id, area_id, order, selected, *_ in items[attempt.pk]
            ],
            pass_ratio=attempt.pass_ratio,
        )
        facts = [
            estimates.ItemFacts(
                qid, result.item_correct[item_id], item_id in seen[attempt.pk], choices, multiple, difficulty
            )
            for item_id, _v, _a, _o, _s, qid, difficulty, choices, multiple, _seen in items[attempt.pk]
        ]
        # A drill's few chosen questions say little about the real exam: no pass probability for them.
        standard = None if attempt.blueprint.is_drill else standards[attempt.blueprint.exam_id]
        scored[attempt.pk] = Scored(result, estimates.estimate(facts, params, standard), seen[attempt.pk])
    return scored


def _seen_before(attempts: list[Attempt], items: dict[int, list]) -> dict[int, set[int]]:
    """Per attempt, its items whose question the person met before it started, in an earlier attempt or in
    study mode. Stored at the first scoring (AttemptItem.seen_before) and read back at a regrade; two queries
    for the attempts scored the first time."""
    seen: dict[int, set[int]] = {}
    fresh = []
    for attempt in attempts:
        rows = items[attempt.pk]
        if rows and all(row[-1] is not None for row in rows):
            seen[attempt.pk] = {row[0] for row in rows if row[-1]}
        else:
            fresh.append(attempt)
    if fresh:
        earlier = defaultdict(list)  # (user, question) -> start times of attempts that showed it
        for user_id, question_id, started_at in (
            AttemptItem.objects.filter(
                attempt__user_id__in={a.user_id for a in fresh},
                attempt__started_at__lt=max(a.started_at for a in fresh),
                version__question_id__in={row[5] for a in fresh for row in items[a.pk]},
            )
            .exclude(attempt__status=Attempt.Status.OPEN)
            .values_list("attempt__user_id", "version__question_id", "attempt__started_at")
        ):
            earlier[(user_id, question_id)].append(started_at)
        for user_id, question_id, first_at in Exposure.objects.filter(
            user_id__in={a.user_id for a in fresh},
            first_at__lt=max(a.started_at for a in fresh),
            question_id__in={row[5] for a in fresh for row in items[a.pk]},
        ).values_list("user_id", "question_id", "first_at"):
            earlier[(user_id, question_id)].append(first_at)  # studied: its key was shown
        for attempt in fresh:
            seen[attempt.pk] = {
                row[0]
                for row in items[attempt.pk]
                if any(t < attempt.started_at for t in earlier.get((attempt.user_id, row[5]), ()))
            }
    return seen


def write_result(attempt: Attempt, scored: Scored, *, scored_at) -> None:
    result = scored.result
    correct_ids = [item_id for item_id, ok in result.item_correct.items() if ok]
    AttemptItem.objects.filter(attempt=attempt).update(
        is_correct=Case(When(pk__in=correct_ids, then=Value(True)), default=Value(False)),
        seen_before=Case(When(pk__in=scored.seen_before, then=Value(True)), default=Value(False)),
    )
    AttemptAreaResult.objects.filter(attempt=attempt).delete()
    AttemptAreaResult.objects.bulk_create(
        AttemptAreaResult(attempt=attempt, area_id=area_id, correct=c, total=t)
        for area_id, (c, t) in result.by_area.items()
    )
    _write_attempt_result(attempt, scored, scored_at=scored_at)


def _write_attempt_result(attempt: Attempt, scored: Scored, *, scored_at) -> None:
    """The attempt's own row: status and result, through the one transition."""
    result, estimate = scored.result, scored.estimate
    attempt_transition(
        attempt_id=attempt.pk,
        source=attempt.status,
        target=Attempt.Status.SCORED,
        scored_at=scored_at,
        correct_count=result.correct,
        score=result.score,
        passed=result.passed,
        ability=estimate.ability,
        ability_se=estimate.ability_se,
        ability_provisional=estimate.provisional,
        scaled_score=estimate.scaled_score,
        pass_probability=estimate.pass_probability,
        pass_low=estimate.pass_low,
        pass_high=estimate.pass_high,
        pass_source=estimate.pass_source,
        predicted_at=None if estimate.pass_probability is None else timezone.now(),
        first_seen_correct=estimate.first_seen_correct,
        first_seen_total=estimate.first_seen_total,
    )


def key_hold_create(*, organization, blueprint: Blueprint, opens_at, releases_at) -> KeyHold:
    """Hold the keys of `blueprint` for `organization`'s members who start it from `opens_at`, until
    `releases_at` (the key exposure policy; hr's assignments ask for it)."""
    return KeyHold.objects.create(
        organization=organization, blueprint=blueprint, opens_at=opens_at, releases_at=releases_at
    )


def sweep_overdue_attempts(*, now=None, batch_size: int = 500) -> tuple[int, int]:
    """Beat, every minute: submit attempts whose deadline (plus grace) has passed, and queue scoring
    for SUBMITTED attempts left unscored (e.g. the broker was down at submit time)."""
    now = now or timezone.now()
    overdue = list(
        Attempt.objects.filter(status=Attempt.Status.OPEN, deadline__lt=now - GRACE).values_list("pk", flat=True)[
            :batch_size
        ]
    )
    submitted = 0
    for attempt_id in overdue:
        submitted += attempt_submit(attempt=Attempt(pk=attempt_id), by=Attempt.SubmittedBy.SWEEPER)
    stuck = list(
        Attempt.objects.filter(
            status=Attempt.Status.SUBMITTED, submitted_at__lt=now - timedelta(minutes=1)
        ).values_list("pk", flat=True)[:batch_size]
    )
    for attempt_id in stuck:
        queue_scoring(attempt_id)
    return submitted, len(stuck)


# --- Calibration results, written by analytics' nightly task ---------------------------------------------------


@transaction.atomic
def item_parameters_replace(*, parameters: dict[int, tuple[float, float, float, int, bool]], fitted_at) -> int:
    """Store calibrated parameters {question id: (a, b, c, first responses, provisional)} (analytics.calibration)."""
    rows = [
        ItemParameters(
            question_id=qid, discrimination=a, difficulty=b, guessing=c, responses=n, provisional=p, fitted_at=fitted_at
        )
        for qid, (a, b, c, n, p) in parameters.items()
    ]
    fields = ["discrimination", "difficulty", "guessing", "responses", "provisional", "fitted_at"]
    ItemParameters.objects.bulk_create(rows, update_conflicts=True, unique_fields=["question"], update_fields=fields)
    return len(rows)


def pass_standard_set(*, exam, standard, fitted_at) -> PassStandard:
    """Store the exam's standard (common/irt.Standard) that scoring reads from now on (analytics.calibration)."""
    values = {
        "cut": standard.cut,
        "tau": standard.tau,
        "covariance": [list(row) for row in standard.covariance],
        "source": standard.source,
        "results": standard.results,
        "fitted_at": fitted_at,
    }
    return PassStandard.objects.update_or_create(exam=exam, defaults=values)[0]


# --- Outside attempts: questions met in study mode, and a person's notes on questions ----------------------------


def exposures_record(*, user, question_ids, at) -> None:
    """Questions `user` met (with their keys) outside an attempt, at `at`; the first meeting is kept."""
    Exposure.objects.bulk_create(
        [Exposure(user=user, question_id=qid, first_at=at) for qid in set(question_ids)], ignore_conflicts=True
    )


NOTE_MAX = 2000


def question_note_save(*, user, question_id: int, bookmarked: bool | None = None, text: str | None = None):
    """Set a bookmark and/or a note. Anyone may bookmark a question they have met; a note waits until the key may
    be shown to them (a note written beside an open mock could carry what a colleague said the answer is)."""
    if text is not None:
        text = text.replace("\x00", "").strip()
        if len(text) > NOTE_MAX:
            raise ExamError(_("メモは%(n)d文字以内にしてください。") % {"n": NOTE_MAX})
        if question_id in withheld_keys(user_id=user.pk):
            raise NotAllowed(_("この問題の解答・解説はまだ表示できないため、メモは提出・公開の後に書けます。"))
    if not _has_met(user, question_id):
        raise NotAllowed(_("まだ出題されていない問題です。"))
    changes = {k: v for k, v in (("bookmarked", bookmarked), ("text", text)) if v is not None}
    note, _created = QuestionNote.objects.update_or_create(user=user, question_id=question_id, defaults=changes)
    if not note.bookmarked and not note.text:
        note.delete()  # nothing left to keep
        return None
    return note


def _has_met(user, question_id: int) -> bool:
    return (
        AttemptItem.objects.filter(attempt__user=user, version__question_id=question_id).exists()
        or Exposure.objects.filter(user=user, question_id=question_id).exists()
    )
