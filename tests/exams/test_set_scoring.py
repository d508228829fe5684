"""Set-based scoring (exams.services.attempts_score on PostgreSQL) gives the same item, area and attempt rows as
the per-item Python scoring, and scores each attempt exactly once when two scorers race."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from accounts.models import User
from exams import services
from exams.models import Attempt, AttemptAreaResult, AttemptItem, Exposure
from tests.factories import key_positions


def _sit(users, blueprint, *, pattern: int) -> list[Attempt]:
    """Each user starts, answers a mix of right, wrong, partial and no answers, and submits."""
    attempts = []
    for u, user in enumerate(users):
        attempt = services.attempt_start(user=user, blueprint=blueprint)
        for item in attempt.items.all():
            key = key_positions(item)
            choice = (u + item.position + pattern) % 4
            if choice == 0:
                continue  # unanswered
            selected = key if choice == 1 else [p for p in range(item.choice_count) if p not in key][:1]
            if choice == 3 and item.multiple:
                selected = key[:1]  # partial: wrong, all or nothing
            services.answer_save(
                user=user, attempt_id=attempt.pk, position=item.position, selected=selected, flagged=False, seq=1
            )
        services.attempt_submit(attempt=attempt)
        attempts.append(attempt)
    return attempts


def _rows(ids):
    items = sorted(
        AttemptItem.objects.filter(attempt_id__in=ids).values_list(
            "attempt_id", "position", "is_correct", "seen_before"
        )
    )
    areas = sorted(
        AttemptAreaResult.objects.filter(attempt_id__in=ids).values_list("attempt_id", "area_id", "correct", "total")
    )
    fields = ["correct_count", "score", "passed", "ability", "ability_se", "scaled_score", "pass_probability"]
    fields += ["first_seen_correct", "first_seen_total", "status"]
    attempts = sorted(Attempt.objects.filter(pk__in=ids).values_list("pk", *fields))
    return items, areas, attempts


def _unscore(ids):
    AttemptAreaResult.objects.filter(attempt_id__in=ids).delete()
    AttemptItem.objects.filter(attempt_id__in=ids).update(is_correct=None, seen_before=None)
    Attempt.objects.filter(pk__in=ids).update(status=Attempt.Status.SUBMITTED, scored_at=None, correct_count=None)


@pytest.mark.django_db
def test_set_based_scoring_equals_per_item_scoring(postgresql_only, g_blueprint, e_blueprint):
    users = [User.objects.create_user(email=f"s{i}@example.com", password="x") for i in range(6)]
    # Earlier attempts (two: a mock draws unseen questions first) and studied questions, so some items are
    # "seen before".
    for pattern in (1, 3):
        earlier = _sit(users[:3], g_blueprint, pattern=pattern)
        services.attempts_score(attempt_ids=[a.pk for a in earlier])
    for qid in set(AttemptItem.objects.values_list("version__question_id", flat=True)):
        Exposure.objects.create(user=users[4], question_id=qid, first_at=timezone.now() - timedelta(days=1))
    attempts = _sit(users, g_blueprint, pattern=2)
    e_attempts = []
    for i, user in enumerate(users[:2]):
        attempt = services.attempt_start(user=user, blueprint=e_blueprint, framework=["pytorch", "tensorflow"][i])
        services.attempt_submit(attempt=attempt)
        e_attempts.append(attempt)
    ids = [a.pk for a in attempts + e_attempts]

    # The per-item way, as before: compute_results and write_result for each attempt.
    old_attempts = list(Attempt.objects.filter(pk__in=ids).select_related("blueprint__exam"))
    old = services.compute_results(old_attempts)
    for attempt in old_attempts:
        services.write_result(attempt, old[attempt.pk], scored_at=timezone.now())
    per_item = _rows(ids)
    assert any(seen for *_, seen in per_item[0]) and any(not ok for _, _, ok, _ in per_item[0])
    assert any(ok for _, _, ok, _ in per_item[0])

    _unscore(ids)
    assert services.attempts_score(attempt_ids=ids) == set(ids)
    set_based = _rows(ids)
    assert set_based[0] == per_item[0]  # every item: correct and seen before
    assert set_based[1] == per_item[1]  # every area row, leaf and top level
    for new, before in zip(set_based[2], per_item[2], strict=True):
        assert new[:3] == before[:3] and new[-4:] == before[-4:]
        assert new[3:7] == pytest.approx(before[3:7])


def _submitted(g_blueprint, prefix: str) -> list[int]:
    users = [User.objects.create_user(email=f"{prefix}{i}@example.com", password="x") for i in range(12)]
    ids = [a.pk for a in _sit(users, g_blueprint, pattern=0)]
    Attempt.objects.filter(pk__in=ids).update(status=Attempt.Status.SUBMITTED, scored_at=None)
    return ids


def _at_once(*calls) -> list[set[int]]:
    """Run the scoring calls in threads released together (each its own database connection); their results."""
    barrier, results, errors = threading.Barrier(len(calls)), [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_scorers_score_each_attempt_once(postgresql_only, g_blueprint):
    ids = _submitted(g_blueprint, "c")
    first, second = _at_once(
        lambda: services.attempts_score(attempt_ids=ids), lambda: services.attempts_score(attempt_ids=ids[::-1])
    )
    assert not first & second and first | second == set(ids)
    assert Attempt.objects.filter(pk__in=ids, status=Attempt.Status.SCORED).count() == len(ids)
    areas = AttemptAreaResult.objects.filter(attempt_id__in=ids)
    assert areas.count() == len(set(areas.values_list("attempt_id", "area_id")))
    # A later task for an attempt scored in someone else's batch changes nothing.
    assert services.attempt_score(attempt_id=ids[0]) is False


@pytest.mark.django_db(transaction=True)
def test_concurrent_scoring_tasks_fill_disjoint_batches(postgresql_only, g_blueprint):
    """Two workers at a deadline: each task fills its batch with attempts the other does not hold, so both
    score a full batch at once (before, both picked the same oldest ones and the second scored only its own)."""
    ids = _submitted(g_blueprint, "d")
    first, second = _at_once(
        lambda: services.attempts_score(attempt_ids=[ids[-1]], fill_to=6),
        lambda: services.attempts_score(attempt_ids=[ids[-2]], fill_to=6),
    )
    assert len(first) == len(second) == 6 and not first & second and first | second == set(ids)
    assert Attempt.objects.filter(pk__in=ids, status=Attempt.Status.SCORED).count() == len(ids)
