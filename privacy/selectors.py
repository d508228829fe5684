"""A person's own data, as they download it from 自分のデータ (docs/privacy.md). A fixed number of queries,
whatever the number of attempts or answers."""

from django.utils import timezone

from exams.models import FINISHED, Attempt, AttemptAreaResult, AttemptItem, QuestionNote
from exams.selectors import withheld_keys
from hr.models import RealResult
from organizations.models import Membership
from questions.models import VersionChoice
from study.models import ExamPlan, StudyAnswer, StudyCard

EXPORT_FORMAT = 1  # bumped when the file's shape changes, so a reader can tell


def _at(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def own_data(*, user) -> dict:
    """Everything Moshi keeps about the person: account, memberships, attempts with answers and results, real
    exam results, notes and bookmarks, study answers, study cards and the exam plan.

    The key exposure policy holds here as everywhere (exams.selectors.withheld_keys): an item carries its key and
    right/wrong mark only when its attempt is submitted and the question is not withheld now, so the file of a
    person in the middle of a mock, or under an organization's key hold, reveals no key."""
    withheld = withheld_keys(user_id=user.pk)
    attempts = list(Attempt.objects.filter(user=user).select_related("blueprint__exam").order_by("started_at", "pk"))
    items = list(
        AttemptItem.objects.filter(attempt__user=user)
        .order_by("attempt_id", "position")
        .values(
            "attempt_id",
            "position",
            "version_id",
            "version__question_id",
            "area__code",
            "choice_order",
            "selected",
            "flagged",
            "answered_at",
            "is_correct",
            "seen_before",
        )
    )
    status_of = {a.pk: a.status for a in attempts}

    def key_shown(item) -> bool:
        return status_of[item["attempt_id"]] in FINISHED and item["version__question_id"] not in withheld

    shown_choice_ids = [cid for item in items if key_shown(item) for cid in item["choice_order"]]
    correct_ids = set(
        VersionChoice.objects.filter(pk__in=shown_choice_ids, is_correct=True).values_list("pk", flat=True)
    )
    items_by_attempt: dict[int, list] = {}
    for item in items:
        shown = key_shown(item)
        items_by_attempt.setdefault(item["attempt_id"], []).append(
            {
                "position": item["position"],
                "question": item["version__question_id"],
                "version": item["version_id"],
                "area": item["area__code"],
                "selected": item["selected"],  # positions in the order the choices were shown (0 = first)
                "flagged": item["flagged"],
                "answered_at": _at(item["answered_at"]),
                "seen_before": item["seen_before"],
                **(
                    {
                        "correct": [i for i, cid in enumerate(item["choice_order"]) if cid in correct_ids],
                        "is_correct": item["is_correct"],
                    }
                    if shown
                    else {}
                ),
            }
        )
    areas_by_attempt: dict[int, list] = {}
    for row in (
        AttemptAreaResult.objects.filter(attempt__user=user)
        .order_by("attempt_id", "area__order")
        .values("attempt_id", "area__code", "area__name", "correct", "total")
    ):
        areas_by_attempt.setdefault(row["attempt_id"], []).append(
            {"area": row["area__code"], "name": row["area__name"], "correct": row["correct"], "total": row["total"]}
        )
    plan = ExamPlan.objects.filter(user=user).select_related("session__exam").first()
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _at(timezone.now()),
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "preferred_language": user.preferred_language,
            "date_joined": _at(user.date_joined),
            "email_confirmed_at": _at(user.email_confirmed_at),
            "last_login": _at(user.last_login),
        },
        "memberships": [
            {
                "organization": m.organization.name,
                "department": m.department.name if m.department else None,
                "role": m.role,
                "employee_code": m.employee_code,
                "is_active": m.is_active,
                "joined_at": _at(m.joined_at),
                "left_at": _at(m.left_at),
            }
            for m in Membership.objects.filter(user=user).select_related("organization", "department").order_by("pk")
        ],
        "attempts": [
            {
                "id": a.pk,
                "exam": a.blueprint.exam.code,
                "blueprint": a.blueprint.name,
                "status": a.status,
                "framework": a.framework,
                "started_at": _at(a.started_at),
                "deadline": _at(a.deadline),
                "submitted_at": _at(a.submitted_at),
                "scored_at": _at(a.scored_at),
                "question_count": a.question_count,
                "correct_count": a.correct_count,
                "score": a.score,
                "passed": a.passed,
                "pass_ratio": a.pass_ratio,
                "scaled_score": a.scaled_score,
                "pass_probability": a.pass_probability,
                "areas": areas_by_attempt.get(a.pk, []),
                "items": items_by_attempt.get(a.pk, []),
            }
            for a in attempts
        ],
        "real_results": [
            {
                "exam": r["exam__code"],
                "session": r["session"],
                "taken_on": r["taken_on"].isoformat(),
                "passed": r["passed"],
            }
            for r in RealResult.objects.filter(user=user)
            .order_by("taken_on", "pk")
            .values("exam__code", "session", "taken_on", "passed")
        ],
        "notes": [
            {
                "question": n["question_id"],
                "bookmarked": n["bookmarked"],
                "text": n["text"],
                "updated_at": _at(n["updated_at"]),
            }
            for n in QuestionNote.objects.filter(user=user)
            .order_by("question_id")
            .values("question_id", "bookmarked", "text", "updated_at")
        ],
        "study_answers": [
            {
                "question": s["question_id"],
                "version": s["version_id"],
                "area": s["area_code"],
                "chosen": s["chosen_ids"],
                "correct": s["correct"],
                "seconds": s["seconds"],
                "answered_at": _at(s["answered_at"]),
            }
            for s in StudyAnswer.objects.filter(user=user)
            .order_by("answered_at", "pk")
            .values("question_id", "version_id", "area_code", "chosen_ids", "correct", "seconds", "answered_at")
        ],
        "study_cards": [
            {
                "question": c["question_id"],
                "state": c["state"],
                "due": _at(c["due"]),
                "last_review": _at(c["last_review"]),
                "reviews": c["reviews"],
                "lapses": c["lapses"],
            }
            for c in StudyCard.objects.filter(user=user)
            .order_by("question_id")
            .values("question_id", "state", "due", "last_review", "reviews", "lapses")
        ],
        "exam_plan": {"exam": plan.session.exam.code, "session": plan.session.label} if plan else None,
    }


def sole_admin_of(*, user) -> list:
    """Organizations where the person is the only active org admin: they must hand over before leaving."""
    return [
        m.organization
        for m in Membership.objects.filter(user=user, role=Membership.Role.ORG_ADMIN, is_active=True)
        .select_related("organization")
        .exclude(
            organization__in=Membership.objects.filter(role=Membership.Role.ORG_ADMIN, is_active=True)
            .exclude(user=user)
            .values("organization")
        )
    ]
