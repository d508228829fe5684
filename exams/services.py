"""Writes of the exam: start, autosave, submit, score. Each one a transaction; transitions are
conditional UPDATEs so two racing requests can never both win."""

import json
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import REPORT_ROLES, Membership
from questions.models import Question, QuestionVersion, SyllabusArea, VersionChoice
from questions.selectors import published_questions
from questions.services import version_key_correct

from .drawing import Candidate, Quota, ShortBank, draw
from .models import Assignment, Attempt, AttemptAreaResult, AttemptItem, Blueprint, KeyCorrection, RealResult
from .scoring import ItemKey, ScoreResult, score_items
from .selectors import blueprints_open_to

logger = logging.getLogger(__name__)

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
    status = 409

    def __init__(self, short: dict[str, tuple[int, int]], names: dict[str, str]):
        self.short = short
        detail = "、".join(
            f"{names.get(code, code)}（必要 {need} 問 / 公開 {have} 問）" for code, (need, have) in short.items()
        )
        super().__init__(f"問題バンクの問題数が足りないため開始できません: {detail}")


def blueprint_available_to(*, blueprint: Blueprint, user) -> bool:
    if not blueprint.is_active:
        return False
    allowed = [o.pk for o in blueprint.organizations.all()]
    return not allowed or user.memberships.filter(organization_id__in=allowed, is_active=True).exists()


def attempt_start(
    *, user, blueprint: Blueprint, framework: str = "", drill_areas: list[str] | None = None, drill_count: int = 0
) -> Attempt:
    """Start an attempt, or resume the open one with its remaining time."""
    open_attempt = Attempt.objects.filter(user=user, blueprint=blueprint, status=Attempt.Status.OPEN).first()
    if open_attempt:
        return open_attempt
    if not blueprint_available_to(blueprint=blueprint, user=user):
        raise NotAllowed("この模擬試験は受験できません。")
    if blueprint.requires_framework and framework not in (Question.Framework.PYTORCH, Question.Framework.TENSORFLOW):
        raise ExamError("PyTorch か TensorFlow を選んでから開始してください。")
    if not blueprint.requires_framework:
        framework = Question.Framework.COMMON

    if blueprint.is_drill:
        if not drill_areas or not 1 <= drill_count <= 100:
            raise ExamError("分野を1つ以上選び、問題数を1〜100で指定してください。")
        quotas = _drill_quotas(drill_areas, drill_count)
        count, minutes_seconds = drill_count, blueprint.seconds_per_question * drill_count
    else:
        quotas = [Quota(q.area.code, q.count) for q in blueprint.quotas.select_related("area")]
        count, minutes_seconds = blueprint.question_count, blueprint.minutes * 60

    pool = published_questions().filter(exam=blueprint.exam_id)
    if framework != Question.Framework.COMMON:
        pool = pool.filter(framework__in=[Question.Framework.COMMON, framework])
    else:
        pool = pool.filter(framework=Question.Framework.COMMON)
    rows = list(
        pool.values_list(
            "pk", "published_version_id", "area__code", "stimulus_id", "area_id", "published_version__kind"
        )
    )
    priority = _drill_priority(user=user, question_ids=[r[0] for r in rows]) if blueprint.is_drill else {}
    candidates = [Candidate(qid, vid, code, sid, priority.get(qid, UNSEEN)) for qid, vid, code, sid, _, _ in rows]
    # Read with the pool, so the items need no further look-ups of areas or kinds.
    area_and_kind = {qid: (area_id, kind) for qid, _, _, _, area_id, kind in rows}
    seed = secrets.randbits(62)
    rng = random.Random(seed)
    try:
        drawn = draw(candidates, quotas, rng, shuffle=blueprint.shuffle_questions)
    except ShortBank as exc:
        names = dict(SyllabusArea.objects.filter(code__in=exc.short).values_list("code", "name"))
        raise BankTooSmall(exc.short, names) from exc

    choice_ids: dict[int, list[int]] = {}
    for vid, cid in (
        VersionChoice.objects.filter(version_id__in=[c.version_id for c in drawn])
        .values_list("version_id", "pk")
        .order_by("version_id", "order")
    ):
        choice_ids.setdefault(vid, []).append(cid)

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
            items = []
            for position, c in enumerate(drawn, start=1):
                order = list(choice_ids[c.version_id])
                if blueprint.shuffle_choices:
                    rng.shuffle(order)
                items.append(
                    AttemptItem(
                        attempt=attempt,
                        position=position,
                        version_id=c.version_id,
                        area_id=area_and_kind[c.question_id][0],
                        choice_order=order,
                        choice_count=len(order),
                        multiple=area_and_kind[c.question_id][1] == Question.Kind.MULTIPLE,
                    )
                )
            AttemptItem.objects.bulk_create(items)
    except IntegrityError:
        # A second tab started the same blueprint at the same moment: resume the attempt it created.
        return Attempt.objects.get(user=user, blueprint=blueprint, status=Attempt.Status.OPEN)
    return attempt


MISSED, UNSEEN, ANSWERED_RIGHT = 0, 1, 2


def _drill_priority(*, user, question_ids: list[int]) -> dict[int, int]:
    """A drill draws the questions the candidate got wrong the last time they saw them first, then
    unseen ones, then the ones they got right."""
    last_result: dict[int, bool] = {}
    for question_id, correct in (
        AttemptItem.objects.filter(
            attempt__user=user, attempt__status=Attempt.Status.SCORED, version__question_id__in=question_ids
        )
        .order_by("attempt__scored_at", "pk")
        .values_list("version__question_id", "is_correct")
    ):
        last_result[question_id] = bool(correct)
    return {qid: ANSWERED_RIGHT if correct else MISSED for qid, correct in last_result.items()}


def _drill_quotas(area_codes: list[str], count: int) -> list[Quota]:
    """Spread a drill's questions over the chosen areas as evenly as possible."""
    codes = sorted(set(area_codes))
    base, extra = divmod(count, len(codes))
    return [Quota(code, base + (1 if i < extra else 0)) for i, code in enumerate(codes) if base or i < extra]


@dataclass
class SaveResult:
    saved: bool
    stale: bool = False
    seq: int = 0  # when stale: the newer sequence number the server already has


def answer_save(*, user, attempt_id: int, position: int, selected: list[int], flagged: bool, seq: int) -> SaveResult:
    """Autosave one item in one conditional UPDATE that also enforces ownership, openness, the deadline
    (plus grace), the item's choices and the sequence number, so no read is needed first."""
    if not isinstance(selected, list) or any(not isinstance(i, int) or isinstance(i, bool) or i < 0 for i in selected):
        raise ExamError("選択が正しくありません。")
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
        raise NotFoundError("この受験は見つかりません。")
    if item.attempt.status != Attempt.Status.OPEN or item.attempt.deadline <= now - GRACE:
        raise AttemptClosed("試験時間が終了したため、この解答は保存されませんでした。")
    if selected and (selected[-1] >= item.choice_count or (len(selected) > 1 and not item.multiple)):
        raise ExamError("この問題にない選択肢です。")
    # An older request arrived after a newer one (or from an outdated page): ignored, with the newer number.
    return SaveResult(saved=False, stale=True, seq=item.client_seq)


def attempt_submit(*, attempt: Attempt, by: str = Attempt.SubmittedBy.CANDIDATE) -> bool:
    """OPEN → SUBMITTED, then scoring is queued after commit. Submitting twice is harmless.
    If the broker is down the submit still succeeds; the sweeper queues scoring later."""
    with transaction.atomic():
        moved = Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.OPEN).update(
            status=Attempt.Status.SUBMITTED, submitted_at=timezone.now(), submitted_by=by
        )
        if moved:
            transaction.on_commit(lambda: queue_scoring(attempt.pk))
    return bool(moved)


def queue_scoring(attempt_id: int) -> None:
    from .tasks import score_attempt

    try:
        score_attempt.delay(attempt_id)
    except Exception:  # broker down: the attempt stays SUBMITTED and the sweeper re-queues it
        logger.warning("could not queue scoring for attempt %s; the sweeper will retry", attempt_id, exc_info=True)


def attempt_score(*, attempt_id: int) -> bool:
    """Score a SUBMITTED attempt once. Idempotent: a second or concurrent run finds it SCORED and stops."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .filter(pk=attempt_id, status=Attempt.Status.SUBMITTED)
            .first()
        )
        if attempt is None:
            return False
        _write_result(attempt, _compute_result(attempt), scored_at=timezone.now())
    return True


def _compute_result(attempt: Attempt, key_override: dict[int, set[int]] | None = None) -> ScoreResult:
    return _compute_results([attempt], key_override)[attempt.pk]


def _compute_results(
    attempts: list[Attempt], key_override: dict[int, set[int]] | None = None
) -> dict[int, ScoreResult]:
    """Results against the keys of the versions shown (or corrected keys, for a regrade): three queries,
    however many attempts."""
    items: dict[int, list] = {a.pk: [] for a in attempts}
    for row in AttemptItem.objects.filter(attempt_id__in=items).values_list(
        "attempt_id", "pk", "version_id", "area_id", "choice_order", "selected"
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
    return {
        attempt.pk: score_items(
            [
                ItemKey(
                    item_id=item_id,
                    area_id=area_id,
                    parent_area_id=area_parents.get(area_id),
                    selected_ids={order[p] for p in selected if p < len(order)},
                    correct_ids=keys[version_id],
                )
                for item_id, version_id, area_id, order, selected in items[attempt.pk]
            ],
            pass_ratio=attempt.pass_ratio,
        )
        for attempt in attempts
    }


def _write_result(attempt: Attempt, result: ScoreResult, *, scored_at) -> None:
    correct_ids = [item_id for item_id, ok in result.item_correct.items() if ok]
    AttemptItem.objects.filter(attempt=attempt).update(
        is_correct=Case(When(pk__in=correct_ids, then=Value(True)), default=Value(False))
    )
    AttemptAreaResult.objects.filter(attempt=attempt).delete()
    AttemptAreaResult.objects.bulk_create(
        AttemptAreaResult(attempt=attempt, area_id=area_id, correct=c, total=t)
        for area_id, (c, t) in result.by_area.items()
    )
    Attempt.objects.filter(pk=attempt.pk).update(
        status=Attempt.Status.SCORED,
        scored_at=scored_at,
        correct_count=result.correct,
        score=result.score,
        passed=result.passed,
    )


@dataclass(frozen=True)
class RegradeChange:
    attempt_id: int
    user: str
    old_correct: int
    new_correct: int
    total: int
    old_passed: bool
    new_passed: bool


def regrade_preview(*, version: QuestionVersion, new_key: set[int]) -> list[RegradeChange]:
    """Dry run: every scored attempt that showed this version, and its score under the corrected key.
    Writes nothing; a fixed number of queries however many attempts."""
    attempts = list(_attempts_showing(version, statuses=[Attempt.Status.SCORED]))
    results = _compute_results(attempts, {version.pk: set(new_key)})
    return [
        RegradeChange(
            a.pk,
            str(a.user),
            a.correct_count,
            results[a.pk].correct,
            results[a.pk].total,
            bool(a.passed),
            results[a.pk].passed,
        )
        for a in attempts
    ]


def regrade_apply(*, version: QuestionVersion, new_key: set[int], by, reason: str) -> KeyCorrection:
    """Correct the version's key, rescore every scored attempt that showed it through the same scoring
    as the first time (keeping scored_at, so reports do not count them twice), and keep an audit record.
    Refuses a key equal to the current one, so applying the same correction twice changes nothing."""
    if by is None:
        raise NotAllowed("正解の訂正にはレビュー担当者のログインが必要です。")
    if not reason.strip():
        raise ExamError("訂正の理由を入力してください。")
    with transaction.atomic():
        # Lock the submitted as well as the scored attempts that showed this version: a scoring already
        # running finishes first (and is rescored here); one that starts later waits for this transaction
        # and then reads the corrected key.
        attempts = list(
            _attempts_showing(version, statuses=[Attempt.Status.SUBMITTED, Attempt.Status.SCORED], lock=True)
        )
        try:
            old_key = version_key_correct(version=version, correct_choice_ids=set(new_key), user=by)
        except DjangoValidationError as exc:
            raise ExamError(" ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise NotAllowed(str(exc)) from exc
        scored = [a for a in attempts if a.status == Attempt.Status.SCORED]
        results = _compute_results(scored)
        changed = [a for a in scored if results[a.pk].correct != a.correct_count]
        for attempt in changed:  # unchanged counts mean nothing changed: one item per version per attempt
            _write_result(attempt, results[attempt.pk], scored_at=attempt.scored_at)
        return KeyCorrection.objects.create(
            version=version,
            old_key=sorted(old_key),
            new_key=sorted(new_key),
            reason=reason,
            corrected_by=by,
            attempts_rescored=len(scored),
            attempts_changed=len(changed),
        )


def _attempts_showing(version: QuestionVersion, *, statuses, lock: bool = False):
    showing = AttemptItem.objects.filter(version=version).values("attempt_id")
    attempts = Attempt.objects.filter(status__in=statuses, pk__in=showing)
    if lock:
        attempts = attempts.select_for_update(of=("self",))
    return attempts.select_related("user").order_by("pk")


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


# --- Assignments and real exam results -------------------------------------------------------------------


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _require_reports_manager(by, organization_id: int) -> None:
    if not Membership.objects.filter(
        user=by, organization_id=organization_id, is_active=True,
        role__in=REPORT_ROLES,
    ).exists():  # fmt: skip
        raise PermissionDenied(_("課題を出せるのは組織の人事・育成担当と管理者だけです。"))


@transaction.atomic
def assignment_create(
    *, organization, blueprint: Blueprint, due_on: date, departments=(), members=(), opens_on: date | None = None,
    note: str = "", by,
) -> Assignment:  # fmt: skip
    """Assign a blueprint to departments and/or members of the organization, due by the end of `due_on`."""
    _require_reports_manager(by, organization.pk)
    today = timezone.localdate()
    opens_on = opens_on or today
    problems = []
    if not blueprint.is_active or not blueprints_open_to(organization.pk).filter(pk=blueprint.pk).exists():
        problems.append(_("この模擬試験はこの組織では使えません。"))
    if due_on < today:
        problems.append(_("期限は今日以降の日付にしてください。"))
    if opens_on > due_on:
        problems.append(_("受験を数え始める日は期限より前にしてください。"))
    if not departments and not members:
        problems.append(_("対象の部署かメンバーを選んでください。"))
    if any(d.organization_id != organization.pk for d in departments) or any(
        m.organization_id != organization.pk for m in members
    ):
        problems.append(_("対象は同じ組織の部署とメンバーから選んでください。"))
    if problems:
        raise DjangoValidationError(problems)
    assignment = Assignment.objects.create(
        organization=organization, blueprint=blueprint, opens_at=_start_of_day(opens_on),
        due_at=_start_of_day(due_on + timedelta(days=1)), note=note, created_by=by,
    )  # fmt: skip
    assignment.departments.set(departments)
    assignment.members.set(members)
    return assignment


def assignment_delete(*, assignment: Assignment, by) -> None:
    _require_reports_manager(by, assignment.organization_id)
    assignment.delete()


def _may_record_for(by, user) -> bool:
    """A person records their own results; HR of an organization the person belongs to records for them."""
    return by.pk == user.pk or Membership.objects.filter(
        user=by, is_active=True, role__in=REPORT_ROLES,
        organization__memberships__user=user,
    ).exists()  # fmt: skip


def real_result_record(*, user, exam, session: str, taken_on: date, passed: bool, by) -> RealResult:
    """Record (or correct) a real exam result; one per person, exam and session."""
    if not _may_record_for(by, user):
        raise PermissionDenied(_("本番試験の結果を記録できるのは本人と所属組織の人事担当だけです。"))
    if taken_on > timezone.localdate():
        raise DjangoValidationError({"taken_on": _("受験日が未来になっています。")})
    result = RealResult.objects.filter(user=user, exam=exam, session=session).first() or RealResult(
        user=user, exam=exam, session=session
    )
    result.taken_on, result.passed, result.recorded_by = taken_on, passed, by
    result.full_clean()
    result.save()
    return result


def real_result_delete(*, result: RealResult, by) -> None:
    if not _may_record_for(by, result.user):
        raise PermissionDenied(_("本番試験の結果を削除できるのは本人と所属組織の人事担当だけです。"))
    result.delete()
