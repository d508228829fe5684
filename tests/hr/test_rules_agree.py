"""Rules written once but read two ways (in Python or the ORM for one row, in SQL for counting them all) must
agree: readiness, and when an assignment counts as done (issue 2/8), a drill assignment included (issue 17)."""

import itertools
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from exams.models import Attempt
from hr import reports
from hr.models import CLOSE, NOT_TAKEN, NOT_YET, READY, MemberExamStat, readiness
from hr.selectors import assignment_completion, assignment_targets, assignments_for
from hr.services import assignment_create
from organizations.models import Membership
from questions.models import SyllabusArea
from tests.factories import DepartmentFactory, MembershipFactory
from tests.hr.drills import drill
from tests.world import take

pytestmark = pytest.mark.django_db


def test_readiness_in_sql_agrees_with_readiness_in_python(organization, cohort_blueprint):
    exam = cohort_blueprint.exam
    scores = [None, 0.0, 0.55, 0.599, 0.6, 0.65, 0.699, 0.7, 0.71, 1.0]  # around a 0.7 line and its 0.1 margin
    chances = [None, 0.0, 0.49, 0.5, 0.79, 0.8, 1.0]  # around the 0.5 and 0.8 thresholds, or none (old attempts)
    expected = {}
    for score, chance in itertools.product(scores, chances):
        member = MembershipFactory(organization=organization)
        if score is not None:
            MemberExamStat.objects.create(
                organization=organization,
                user=member.user,
                exam=exam,
                attempts=1,
                passed_attempts=0,
                best_score=score,
                latest_score=score,
                latest_passed=score >= 0.7,
                latest_pass_ratio=0.7,
                latest_at=timezone.now(),
                latest_pass_probability=chance,
            )
        expected[member.pk] = readiness(score, 0.7, chance)
    for level in (READY, CLOSE, NOT_YET, NOT_TAKEN):
        table = reports.member_table(organization_id=organization.pk, exam_id=exam.pk, readiness=level)
        shown = {m.pk for m in table if m.pk in expected}
        assert shown == {pk for pk, got in expected.items() if got == level}, level


def test_assignment_completion_in_sql_agrees_with_each_members_done_at(organization, hr_manager, cohort_blueprint):
    rng = random.Random(4)
    sales, dev = DepartmentFactory(organization=organization), DepartmentFactory(organization=organization)
    people = [MembershipFactory(organization=organization, department=d) for d in (sales, sales, dev, dev, None)]
    early, late, newcomer, named, idle = people
    assignment = assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=timezone.localdate() + timedelta(days=3),
        opens_on=timezone.localdate() - timedelta(days=5),
        departments=[sales, dev],
        members=[idle],
        by=hr_manager,
    )
    take(cohort_blueprint, user=early.user, right=3, rng=rng)
    take(cohort_blueprint, user=late.user, right=4, rng=rng)
    # A newcomer's attempt from before they joined does not count, in either reading.
    take(cohort_blueprint, user=newcomer.user, right=5, rng=rng)
    Membership.objects.filter(pk=newcomer.pk).update(joined_at=timezone.now() + timedelta(seconds=1))
    take(cohort_blueprint, user=named.user, right=2, rng=rng)

    per_member = {m.pk: m.done_at for m in assignment_targets(assignment=assignment)}
    counted = assignment_completion(organization_id=organization.pk, assignment_ids=[assignment.pk])
    assert sum(c.targets for c in counted) == len(per_member) == 5
    assert sum(c.done for c in counted) == sum(1 for at in per_member.values() if at) == 3
    assert per_member[newcomer.pk] is None and per_member[idle.pk] is None


def test_drill_assignment_completion_agrees_in_sql_the_orm_and_the_members_home(organization, hr_manager, g_drill):
    """A drill assignment is done by a drill covering every area it names (a top-level area by any of its leaves),
    started after it opened: the same members in all three readings."""
    team = DepartmentFactory(organization=organization)
    exact, wider, elsewhere, half, early, idle = (
        MembershipFactory(organization=organization, department=team) for _ in range(6)
    )
    early_drill = drill(g_drill, early.user, ["G4.2", "G9.3"])  # before the assignment opens
    Attempt.objects.filter(pk=early_drill.pk).update(started_at=timezone.now() - timedelta(days=2))
    assignment = assignment_create(
        organization=organization,
        blueprint=g_drill,
        due_on=timezone.localdate() + timedelta(days=3),
        departments=[team],
        drill_areas=list(SyllabusArea.objects.filter(code__in=["G4.2", "G9"])),  # a leaf and a top-level area
        by=hr_manager,
    )
    drill(g_drill, exact.user, ["G4.2", "G9.3"])
    drill(g_drill, wider.user, ["G3.4", "G4.2", "G9.3"], count=3)
    drill(g_drill, elsewhere.user, ["G3.4"])
    drill(g_drill, half.user, ["G4.2"])

    per_member = {m.pk: m.done_at for m in assignment_targets(assignment=assignment)}
    counted = assignment_completion(organization_id=organization.pk, assignment_ids=[assignment.pk])
    assert {pk for pk, at in per_member.items() if at} == {exact.pk, wider.pk}
    assert sum(c.targets for c in counted) == len(per_member) == 6
    assert sum(c.done for c in counted) == 2
    on_home = {m.pk: assignments_for(user=m.user)[0].done_at for m in (exact, wider, elsewhere, half, early, idle)}
    assert on_home == per_member
