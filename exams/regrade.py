"""Correcting a published version's key: a dry run of what would change, then the correction itself, which
rescores every scored attempt that showed the version through the same scoring as the first time."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from questions.models import QuestionVersion
from questions.services import version_key_correct

from .models import Attempt, AttemptItem, ItemParameters, KeyCorrection
from .services import ExamError, NotAllowed, compute_results, write_result


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
    results = {pk: scored.result for pk, scored in compute_results(attempts, {version.pk: set(new_key)}).items()}
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
        raise NotAllowed(_("正解の訂正にはレビュー担当者のログインが必要です。"))
    if not reason.strip():
        raise ExamError(_("訂正の理由を入力してください。"))
    with transaction.atomic():
        # Lock the submitted as well as the scored attempts that showed this version: a scoring already
        # running finishes first (and is rescored here); one that starts later waits for this transaction
        # and then reads the corrected key.
        attempts = list(
            _attempts_showing(version, statuses=[Attempt.Status.SUBMITTED, Attempt.Status.SCORED], lock=True)
        )
        try:
            old_key = version_key_correct(version=version, correct_choice_ids=set(new_key), by=by)
        except DjangoValidationError as exc:
            raise ExamError(" ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise NotAllowed(str(exc)) from exc
        # The question's calibration rested on the wrong key: it starts again from its author's difficulty, for
        # the estimates rescored here as for every later one.
        ItemParameters.objects.filter(question_id=version.question_id).delete()
        scored = [a for a in attempts if a.status == Attempt.Status.SCORED]
        results = compute_results(scored)
        changed = [a for a in scored if results[a.pk].result.correct != a.correct_count]
        for attempt in changed:  # unchanged counts mean nothing changed: one item per version per attempt
            write_result(attempt, results[attempt.pk], scored_at=attempt.scored_at)
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
    return attempts.select_related("user", "blueprint__exam").order_by("pk")
