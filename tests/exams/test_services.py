import random
from datetime import timedelta

import pytest
from django.utils import timezone

from exams import services
from exams.drawing import AreaIndex, Candidate, Quota, ShortBank, draw
from exams.models import Attempt, AttemptItem, Blueprint, BlueprintQuota
from exams.services import (
    AttemptClosed,
    BankTooSmall,
    ExamError,
    NotFoundError,
    NothingToDrill,
    answer_save,
    attempt_score,
    attempt_start,
    attempt_submit,
    sweep_overdue_attempts,
)
from questions.models import Exam, SyllabusArea
from tests.factories import UserFactory, key_positions, make_question

pytestmark = pytest.mark.django_db


def test_start_draws_per_quota_without_repeats_and_sets_a_server_deadline(g_blueprint, candidate):
    before = timezone.now()
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    items = list(attempt.items.select_related("area"))
    assert len(items) == 5
    assert sum(i.area.code.startswith("G4") for i in items) == 3
    assert len({i.version_id for i in items}) == 5
    assert timedelta(minutes=10) <= attempt.deadline - before < timedelta(minutes=10, seconds=5)


def test_e_shikaku_draws_common_and_the_chosen_framework_only(e_blueprint, candidate):
    with pytest.raises(ExamError):
        attempt_start(user=candidate, blueprint=e_blueprint)  # no framework chosen
    attempt = attempt_start(user=candidate, blueprint=e_blueprint, framework="pytorch")
    frameworks = set(attempt.items.values_list("version__question__framework", flat=True))
    assert frameworks == {"common", "pytorch"}
    assert attempt.framework == "pytorch"


def test_resuming_returns_the_open_attempt_and_the_framework_cannot_change(e_blueprint, candidate):
    first = attempt_start(user=candidate, blueprint=e_blueprint, framework="pytorch")
    again = attempt_start(user=candidate, blueprint=e_blueprint, framework="tensorflow")
    assert again.pk == first.pk and again.framework == "pytorch" and again.deadline == first.deadline


def test_an_attempt_submitted_between_the_starts_two_reads_is_not_resumed(g_blueprint, candidate, monkeypatch):
    first = attempt_start(user=candidate, blueprint=g_blueprint)
    attempt_submit(attempt=first, by=Attempt.SubmittedBy.CANDIDATE)

    class SeenStillOpen:  # the id read while it was open, a moment before its submit landed
        def rows(self, **arguments):
            return [(first.pk,)]

    monkeypatch.setattr(services, "_OPEN_ATTEMPT", SeenStillOpen())
    second = attempt_start(user=candidate, blueprint=g_blueprint)
    assert second.pk != first.pk and second.status == Attempt.Status.OPEN


def test_short_bank_creates_nothing_and_names_the_short_areas(g_blueprint, candidate):
    BlueprintQuota.objects.filter(blueprint=g_blueprint, area__code="G3").update(count=9)
    with pytest.raises(BankTooSmall) as excinfo:
        attempt_start(user=candidate, blueprint=g_blueprint)
    assert excinfo.value.short == {"G3": (9, 4)}
    assert "機械学習の概要（必要 9 問 / 出題可能 4 問）" in excinfo.value.detail  # for the operators' log
    assert "準備中" in str(excinfo.value) and "問題バンク" not in str(excinfo.value)  # for the learner
    assert not Attempt.objects.exists() and not AttemptItem.objects.exists()


def test_linked_sets_are_drawn_whole():
    rng = random.Random(1)
    pool = [Candidate(i, i, "E3.6", 99 if i < 3 else None) for i in range(6)]
    for seed in range(20):
        drawn = draw(pool, [Quota("E3", 4)], random.Random(seed), shuffle=True)
        set_members = [c for c in drawn if c.stimulus_id == 99]
        assert len(set_members) in (0, 3)
        if set_members:  # adjacent, in order
            start = drawn.index(set_members[0])
            assert drawn[start : start + 3] == set_members
    with pytest.raises(ShortBank):
        draw(pool[:3], [Quota("E3", 2)], rng, shuffle=True)  # only a set of 3: cannot make exactly 2


def test_the_same_seed_draws_the_same_form():
    pool = [Candidate(i, i, f"G{1 + i % 3}.1", None) for i in range(30)]
    quotas = [Quota("G1", 3), Quota("G2", 3), Quota("G3", 3)]
    assert draw(pool, quotas, random.Random(42), shuffle=True) == draw(pool, quotas, random.Random(42), shuffle=True)


def test_a_shared_area_index_draws_as_a_list_does_and_never_what_is_excluded():
    pool = [Candidate(i, i, f"G{1 + i % 3}.{1 + i % 2}", 7 if i in (3, 6) else None) for i in range(30)]
    quotas = [Quota("G1", 3), Quota("G2.1", 2), Quota("G3", 3)]
    index = AreaIndex(reversed(pool))
    for seed in range(30):
        assert draw(index, quotas, random.Random(seed), shuffle=True) == draw(
            pool, quotas, random.Random(seed), shuffle=True
        )
        excluded = {0, 3, 4, 8}  # 3 is one of a linked set: its partner 6 may still be drawn, alone
        drawn = draw(index, quotas, random.Random(seed), shuffle=True, exclude=excluded)
        kept = [c for c in pool if c.question_id not in excluded]
        assert not {c.question_id for c in drawn} & excluded
        assert drawn == draw(kept, quotas, random.Random(seed), shuffle=True)


def test_autosave_ignores_stale_sequence_numbers(g_blueprint, candidate):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    assert answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=[2], flagged=False, seq=5).saved
    late = answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=[0], flagged=True, seq=4)
    assert late.stale and not late.saved
    item = attempt.items.get(position=1)
    assert (item.selected, item.flagged, item.client_seq) == ([2], False, 5)


def test_autosave_refuses_foreign_attempts_and_choices_outside_the_item(g_blueprint, candidate, other_candidate):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    with pytest.raises(NotFoundError):
        answer_save(user=other_candidate, attempt_id=attempt.pk, position=1, selected=[0], flagged=False, seq=1)
    with pytest.raises(ExamError):
        answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=[4], flagged=False, seq=1)
    with pytest.raises(ExamError):  # two answers to a single-answer question
        answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=[0, 1], flagged=False, seq=1)
    with pytest.raises(ExamError):
        answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=["0"], flagged=False, seq=1)
    assert attempt.items.get(position=1).selected == []


def test_autosave_is_accepted_within_the_grace_and_refused_after(g_blueprint, candidate):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=10))
    assert answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=[1], flagged=False, seq=1).saved
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=31))
    with pytest.raises(AttemptClosed):
        answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=[0], flagged=False, seq=2)
    assert attempt.items.get(position=1).selected == [1]


def correct_position(item):
    from questions.models import VersionChoice

    correct = set(
        VersionChoice.objects.filter(version_id=item.version_id, is_correct=True).values_list("pk", flat=True)
    )
    return [p for p, cid in enumerate(item.choice_order) if cid in correct]


def test_submit_twice_is_harmless_and_scoring_writes_one_result(
    g_blueprint, candidate, django_capture_on_commit_callbacks
):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    items = list(attempt.items.order_by("position"))
    for item in items[:3]:  # three right, two unanswered
        answer_save(
            user=candidate,
            attempt_id=attempt.pk,
            position=item.position,
            selected=correct_position(item),
            flagged=False,
            seq=1,
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert attempt_submit(attempt=attempt) is True  # eager Celery in tests: scored on commit
        assert attempt_submit(attempt=attempt) is False
    assert attempt_score(attempt_id=attempt.pk) is False  # scoring again changes nothing
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SCORED
    assert (attempt.correct_count, attempt.score, attempt.passed) == (3, 0.6, True)
    results = {r.area.code: (r.correct, r.total) for r in attempt.area_results.select_related("area")}
    assert results["G4"][1] == 3 and results["G3"][1] == 2
    assert sum(c for code, (c, t) in results.items() if "." not in code) == 3


def test_select_all_questions_score_all_or_nothing(candidate, django_capture_on_commit_callbacks):
    make_question(
        external_id="m-1", area="G4.2", kind="multiple", choices=[("A", True), ("B", True), ("C", False), ("D", False)]
    )
    bp = Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name="m", slug="m", minutes=5, question_count=1
    )
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G4"), count=1)
    for answer_count, expected in ((1, False), (2, True)):
        attempt = attempt_start(user=candidate, blueprint=bp)
        item = attempt.items.get()
        answer_save(
            user=candidate,
            attempt_id=attempt.pk,
            position=1,
            selected=correct_position(item)[:answer_count],
            flagged=False,
            seq=1,
        )
        with django_capture_on_commit_callbacks(execute=True):
            attempt_submit(attempt=attempt)
        attempt.refresh_from_db()
        assert attempt.passed is expected


def test_sweeper_submits_abandoned_attempts_and_requeues_unscored_ones(
    g_blueprint, candidate, django_capture_on_commit_callbacks
):
    abandoned = attempt_start(user=candidate, blueprint=g_blueprint)
    Attempt.objects.filter(pk=abandoned.pk).update(deadline=timezone.now() - timedelta(minutes=5))
    stuck = attempt_start(user=UserFactory(), blueprint=g_blueprint)
    Attempt.objects.filter(pk=stuck.pk).update(
        status=Attempt.Status.SUBMITTED, submitted_at=timezone.now() - timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        submitted, requeued = sweep_overdue_attempts()
    assert submitted == 1
    assert requeued >= 1
    abandoned.refresh_from_db()
    stuck.refresh_from_db()
    assert abandoned.status == stuck.status == Attempt.Status.SCORED
    assert abandoned.submitted_by == Attempt.SubmittedBy.SWEEPER


def test_submit_succeeds_when_the_broker_is_down(
    g_blueprint, candidate, monkeypatch, django_capture_on_commit_callbacks
):
    from exams import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.score_attempt, "delay", broker_down)
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    with django_capture_on_commit_callbacks(execute=True):
        assert attempt_submit(attempt=attempt)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED  # kept; the sweeper will queue scoring


def test_published_edits_never_change_a_past_result(g_blueprint, candidate, django_capture_on_commit_callbacks):
    from questions.models import Choice
    from questions.services import question_publish

    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    item = attempt.items.get(position=1)
    answer_save(
        user=candidate, attempt_id=attempt.pk, position=1, selected=correct_position(item), flagged=False, seq=1
    )
    question = item.version.question
    Choice.objects.filter(question=question).update(is_correct=False)
    Choice.objects.filter(question=question, order=3).update(is_correct=True)
    question_publish(question=question, by=None, via="command")  # v2 with another key
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(attempt=attempt)
    assert AttemptItem.objects.get(pk=item.pk).is_correct is True


def test_a_drill_draws_missed_questions_first_then_unseen_ones(
    candidate, g_blueprint, django_capture_on_commit_callbacks
):
    drill = Blueprint.objects.create(
        exam=g_blueprint.exam, name="ドリル", slug="drill", minutes=0, question_count=0, is_drill=True
    )
    first = attempt_start(user=candidate, blueprint=drill, drill_areas=["G4"], drill_count=3)
    seen = {i.position: i for i in first.items.select_related("version")}
    # Right on question 1, wrong on 2 and 3.
    for position, item in seen.items():
        key = key_positions(item)[0]
        chosen = key if position == 1 else (key + 1) % 4
        answer_save(user=candidate, attempt_id=first.pk, position=position, selected=[chosen], flagged=False, seq=1)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(attempt=first)
    missed = {seen[2].version.question_id, seen[3].version.question_id}
    right = seen[1].version.question_id

    second = attempt_start(user=candidate, blueprint=drill, drill_areas=["G4"], drill_count=5)
    drawn = list(second.items.values_list("version__question_id", flat=True))
    assert missed <= set(drawn) and right not in drawn  # 2 missed + 3 unseen of the 6 in G4; the right one waits

    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(attempt=second)
    third = attempt_start(user=candidate, blueprint=drill, drill_areas=["G4"], drill_count=2)
    # The second attempt was left blank, so all five of its questions now count as missed.
    assert set(third.items.values_list("version__question_id", flat=True)) <= set(drawn)


def test_answered_at_moves_only_when_the_answer_changes(g_blueprint, candidate):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=[0], flagged=False, seq=1)
    first = attempt.items.get(position=1).answered_at
    answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=[0], flagged=True, seq=2)  # flag only
    assert attempt.items.get(position=1).answered_at == first
    answer_save(user=candidate, attempt_id=attempt.pk, position=1, selected=[2], flagged=True, seq=3)
    assert attempt.items.get(position=1).answered_at > first


def test_the_state_machine_refuses_moves_it_does_not_know_and_stamps_updated_at(g_blueprint, candidate):
    from exams.services import IllegalTransition, attempt_transition

    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    with pytest.raises(IllegalTransition):
        attempt_transition(attempt_id=attempt.pk, source=Attempt.Status.OPEN, target=Attempt.Status.SCORED)
    with pytest.raises(IllegalTransition):
        attempt_transition(attempt_id=attempt.pk, source=Attempt.Status.SCORED, target=Attempt.Status.OPEN)
    before = Attempt.objects.get(pk=attempt.pk).updated_at
    # A move from a status the attempt is not in changes nothing (the race's loser).
    assert not attempt_transition(attempt_id=attempt.pk, source=Attempt.Status.SUBMITTED, target=Attempt.Status.SCORED)
    assert attempt_transition(attempt_id=attempt.pk, source=Attempt.Status.OPEN, target=Attempt.Status.SUBMITTED)
    assert Attempt.objects.get(pk=attempt.pk).updated_at > before


def test_a_drill_on_areas_with_nothing_to_give_widens_then_says_why_not(g_blueprint, candidate):
    exam = g_blueprint.exam
    drill = Blueprint.objects.create(exam=exam, name="ドリル", slug="drill", minutes=0, question_count=0, is_drill=True)

    def hold(code: str, n: int):
        """An open mock holding every question of an area: none of them may be drilled until it is submitted."""
        mock = Blueprint.objects.create(exam=exam, name=code, slug=f"all-{code}", minutes=30, question_count=n)
        BlueprintQuota.objects.create(blueprint=mock, area=SyllabusArea.objects.get(code=code), count=n)
        return attempt_start(user=candidate, blueprint=mock)

    hold("G4", 6)
    widened = attempt_start(user=candidate, blueprint=drill, drill_areas=["G4.2"], drill_count=10)
    # Nothing in G4.2, nor in G4: the whole exam's, which is G3's four.
    assert set(widened.items.values_list("area__code", flat=True)) == {"G3.4"} and widened.question_count == 4
    Attempt.objects.filter(pk=widened.pk).delete()
    hold("G3", 4)
    with pytest.raises(NothingToDrill) as excinfo:
        attempt_start(user=candidate, blueprint=drill, drill_areas=["G4.2"], drill_count=10)
    assert "提出" in str(excinfo.value)


def test_only_the_owner_abandons_only_an_open_drill(g_blueprint, candidate, other_candidate):
    from exams.services import NotAllowed, attempt_abandon

    drill = Blueprint.objects.create(
        exam=g_blueprint.exam, name="ドリル", slug="drill", minutes=0, question_count=0, is_drill=True
    )
    mock = attempt_start(user=candidate, blueprint=g_blueprint)
    with pytest.raises(NotAllowed):
        attempt_abandon(user=candidate, attempt_id=mock.pk)  # a full mock is submitted, never discarded
    practice = attempt_start(user=candidate, blueprint=drill, drill_areas=["G3"], drill_count=2)
    with pytest.raises(NotAllowed):
        attempt_abandon(user=other_candidate, attempt_id=practice.pk)  # someone else's
    attempt_abandon(user=candidate, attempt_id=practice.pk)
    assert Attempt.objects.get(pk=practice.pk).status == Attempt.Status.ABANDONED
    with pytest.raises(ExamError):
        attempt_abandon(user=candidate, attempt_id=practice.pk)  # once
    assert not attempt_submit(attempt=Attempt.objects.get(pk=practice.pk))  # and never submitted afterwards
    # Its questions are free again: a new drill on the same area can draw them.
    again = attempt_start(user=candidate, blueprint=drill, drill_areas=["G3"], drill_count=4)
    assert again.pk != practice.pk and again.question_count == 2  # the other two are held by the open mock
