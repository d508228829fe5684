"""Worlds tests share: a small scored G検定 form, two organizations with members, mocks, real results and
assignments, and helpers to take attempts and fold statistics. Registered as a pytest plugin (tests/conftest.py),
so its fixtures are available in every folder."""

import random
from types import SimpleNamespace

import pytest
from django.utils import timezone

from exams.models import Attempt, Blueprint, BlueprintQuota
from exams.services import answer_save, attempt_score, attempt_start, attempt_submit
from questions.models import Exam, SyllabusArea
from tests.factories import UserFactory, key_positions, make_question


@pytest.fixture
def cohort_blueprint():
    """A 6-question G検定 form over 8 published questions in two areas."""
    for i in range(5):
        make_question(
            external_id=f"c4-{i}", area="G4.2", choices=[(f"正{i}", True), (f"誤{i}a", False), (f"誤{i}b", False)]
        )
    for i in range(3):
        make_question(
            external_id=f"c3-{i}", area="G3.4", choices=[(f"正{i}", True), (f"誤{i}a", False), (f"誤{i}b", False)]
        )
    bp = Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name="cohort", slug="cohort", minutes=30, question_count=6
    )
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G4"), count=4)
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G3"), count=2)
    return bp


def take(blueprint, *, user=None, right: int, rng: random.Random, scored_at=None) -> Attempt:
    """A scored attempt with `right` correct answers (the first ones), the rest wrong or blank at random."""
    user = user or UserFactory()
    attempt = attempt_start(user=user, blueprint=blueprint)
    for item in attempt.items.select_related("version").order_by("position"):
        keys = key_positions(item)
        if item.position <= right:
            chosen = keys
        else:
            wrong = [n for n in range(item.choice_count) if n not in keys]
            chosen = [] if rng.random() < 0.2 else [rng.choice(wrong)]
        answer_save(user=user, attempt_id=attempt.pk, position=item.position, selected=chosen, flagged=False, seq=1)
    attempt_submit(attempt=attempt)
    attempt_score(attempt_id=attempt.pk)
    if scored_at:
        Attempt.objects.filter(pk=attempt.pk).update(scored_at=scored_at)
    attempt.refresh_from_db()
    return attempt


@pytest.fixture
def long_ago():
    return timezone.now() - timezone.timedelta(hours=1)


def bulk_members(organization, n: int, *, department=None, exam=None, start: int = 0) -> list:
    """n members made in a few queries (no password hashing), each with a mock record and a real result
    for `exam` when given, so per-member columns are really read."""
    from accounts.models import User
    from hr.models import MemberExamStat, RealResult
    from organizations.models import Membership

    tag = f"{organization.slug}-{start}"
    users = User.objects.bulk_create(User(email=f"bulk{i}-{tag}@example.jp", display_name=f"社員{i}") for i in range(n))
    members = Membership.objects.bulk_create(
        Membership(user=u, organization=organization, department=department, employee_code=f"B{start + i}-{tag}")
        for i, u in enumerate(users)
    )
    if exam is not None:
        now = timezone.now()
        MemberExamStat.objects.bulk_create(
            MemberExamStat(
                organization=organization,
                user=u,
                exam=exam,
                attempts=1,
                passed_attempts=i % 2,
                best_score=0.5 + (i % 2) * 0.3,
                latest_score=0.5 + (i % 2) * 0.3,
                latest_passed=bool(i % 2),
                latest_pass_ratio=0.7,
                latest_at=now,
                latest_pass_probability=0.3 + 0.4 * (i % 2),
                latest_pass_low=0.2 + 0.4 * (i % 2),
                latest_pass_high=0.4 + 0.4 * (i % 2),
            )
            for i, u in enumerate(users)
        )
        RealResult.objects.bulk_create(
            RealResult(user=u, exam=exam, session="2025#6", taken_on=now.date(), passed=bool(i % 2))
            for i, u in enumerate(users)
        )
    return members


@pytest.fixture
def hr_world(organization, other_organization, hr_manager, other_org_hr, cohort_blueprint):
    """Two organizations with departments, members, scored mocks, real results and assignments, folded into
    the HR aggregates. Figures the tests expect are written beside each line."""
    from hr.models import RealResult
    from hr.services import assignment_create
    from organizations.models import Department, Membership
    from tests.factories import MembershipFactory

    rng = random.Random(11)
    sales = Department.objects.create(organization=organization, name="営業部")
    dev = Department.objects.create(organization=organization, name="開発部")
    admin = MembershipFactory(organization=organization, role=Membership.Role.ORG_ADMIN, department=None).user
    s1 = MembershipFactory(organization=organization, department=sales)
    s2 = MembershipFactory(organization=organization, department=sales)
    d1 = MembershipFactory(organization=organization, department=dev)
    n1 = MembershipFactory(organization=organization, department=None)
    take(cohort_blueprint, user=s1.user, right=6, rng=rng)  # passed
    take(cohort_blueprint, user=s1.user, right=2, rng=rng)  # s1's latest: failed
    take(cohort_blueprint, user=s2.user, right=5, rng=rng)  # passed
    take(cohort_blueprint, user=d1.user, right=1, rng=rng)  # failed
    exam = cohort_blueprint.exam
    today = timezone.localdate()
    RealResult.objects.create(user=s1.user, exam=exam, session="2025#6", taken_on=today, passed=True)
    RealResult.objects.create(user=d1.user, exam=exam, session="2025#6", taken_on=today, passed=False)
    assignment = assignment_create(
        organization=organization,
        blueprint=cohort_blueprint,
        due_on=today + timezone.timedelta(days=7),
        departments=[dev],
        members=[n1],
        by=hr_manager,
    )  # targets d1 (done) and n1 (not yet)

    beta_sales = Department.objects.create(organization=other_organization, name="営業部")
    o1 = MembershipFactory(organization=other_organization, department=beta_sales)
    take(cohort_blueprint, user=o1.user, right=6, rng=rng)
    RealResult.objects.create(user=o1.user, exam=exam, session="2025#6", taken_on=today, passed=True)
    other_assignment = assignment_create(
        organization=other_organization,
        blueprint=cohort_blueprint,
        due_on=today,
        departments=[beta_sales],
        by=other_org_hr,
    )
    refresh_statistics(now=timezone.now() + timezone.timedelta(minutes=5))
    return SimpleNamespace(
        sales=sales,
        dev=dev,
        admin=admin,
        s1=s1,
        s2=s2,
        d1=d1,
        n1=n1,
        exam=exam,
        assignment=assignment,
        beta_sales=beta_sales,
        o1=o1,
        other_assignment=other_assignment,
    )


def refresh_statistics(now=None) -> dict[str, int]:
    """What the two beat tasks do: fold newly scored attempts into the cohort's and the organizations' figures."""
    from analytics.services import stats_refresh_all
    from hr.aggregates import org_stats_refresh_all

    return {"scored": stats_refresh_all(now=now), "organizations": org_stats_refresh_all(now=now)}
