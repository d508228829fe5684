"""Demo history for the HR dashboard: more people in デモ株式会社's departments, each with a few scored
G検定 mocks over the last months, some real exam results and an assignment, folded into the aggregates.

Run by `seed_demo` after the people and the bank exist. Idempotent: once the demo organization has mock
history it does nothing, so `make run` stays quick after the first time."""

import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics import calibration
from analytics.services import stats_refresh_all
from exams.feed import SETTLE
from exams.models import Attempt, AttemptItem, Blueprint
from exams.services import attempt_score, attempt_start, attempt_submit
from hr.aggregates import org_stats_refresh_all
from hr.models import RealResult
from hr.services import assignment_create
from organizations.models import Department, Membership, Organization
from questions.models import VersionChoice

# department: (people to add, typical share of questions right)
EXTRA_PEOPLE = {"営業部": (8, 0.58), "開発部": (8, 0.74), "人事部": (3, 0.64)}
SURNAMES = ["伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村"]


class Command(BaseCommand):
    help = "Give the demo organization a few months of mock history for the HR dashboard (once)."

    def handle(self, *args, **options):
        org = Organization.objects.filter(slug="demo").first()
        blueprint = Blueprint.objects.filter(slug="g-kentei-online").first()
        if org is None or blueprint is None:
            self.stdout.write("Demo activity: run seed_demo first.")
            return
        if Attempt.objects.filter(user__memberships__organization=org, blueprint=blueprint).exists():
            self.stdout.write("Demo activity: already there.")
            return
        rng = random.Random(2026)
        now = timezone.now()
        skill_of = self._people(org, rng)
        # The demo people joined a year ago, so the months of history below count for the company.
        Membership.objects.filter(organization=org).update(joined_at=now - timedelta(days=365))
        keys = dict(
            VersionChoice.objects.filter(is_correct=True)
            .values_list("version_id")
            .order_by()
            .values_list("version_id", "pk")
        )
        taken = 0
        for user, skill in skill_of.items():
            for months_ago in sorted(rng.sample(range(6), rng.randint(1, 3)), reverse=True):
                started = now - timedelta(days=30 * months_ago + rng.randint(1, 25), hours=rng.randint(0, 8))
                self._take(user, blueprint, min(0.95, skill + (5 - months_ago) * 0.02), started, keys, rng)
                taken += 1
        today = timezone.localdate()
        for user, skill in list(skill_of.items())[::3]:
            RealResult.objects.get_or_create(
                user=user,
                exam=blueprint.exam,
                session="2025#6",
                defaults={"taken_on": today - timedelta(days=40), "passed": skill > 0.66},
            )
        hr = Membership.objects.filter(organization=org, role=Membership.Role.HR_MANAGER).first()
        if hr:
            assignment_create(
                organization=org,
                blueprint=blueprint,
                due_on=today + timedelta(days=10),
                opens_on=today - timedelta(days=45),
                departments=list(Department.objects.filter(organization=org, name="営業部")),
                note="今期の G検定 受験予定者は本番形式を1回受けてください。",
                by=hr.user,
            )
        stats_refresh_all(now=now + SETTLE + timedelta(minutes=1))
        org_stats_refresh_all(now=now + SETTLE + timedelta(minutes=1))
        calibration.refresh_all(now=now)
        self.stdout.write(f"Demo activity: {taken} scored mocks for {len(skill_of)} people.")

    def _people(self, org, rng) -> dict:
        skill_of = {}
        for m in Membership.objects.filter(organization=org, role=Membership.Role.MEMBER).select_related(
            "department", "user"
        ):
            skill_of[m.user] = EXTRA_PEOPLE.get(m.department.name if m.department else "", (0, 0.6))[1]
        for name, (count, skill) in EXTRA_PEOPLE.items():
            department = Department.objects.get(organization=org, name=name)
            for i in range(count):
                email = f"{department.pk}-{i}@people.demo.moshi.example"
                user, _ = User.objects.get_or_create(
                    email=email,
                    defaults={
                        "display_name": f"{rng.choice(SURNAMES)} {name[0]}{i + 1}",
                        "email_confirmed_at": timezone.now(),
                    },
                )
                Membership.objects.get_or_create(
                    user=user,
                    organization=org,
                    defaults={"department": department, "employee_code": f"D{department.pk}{i:03d}"},
                )
                skill_of[user] = min(0.92, max(0.35, rng.gauss(skill, 0.1)))
        return skill_of

    @transaction.atomic
    def _take(self, user, blueprint, skill, started, keys, rng) -> None:
        attempt = attempt_start(user=user, blueprint=blueprint)
        items = list(AttemptItem.objects.filter(attempt=attempt))
        for item in items:
            key = item.choice_order.index(keys[item.version_id]) if item.version_id in keys else 0
            wrong = [p for p in range(item.choice_count) if p != key] or [key]
            item.selected = [key] if rng.random() < skill else [rng.choice(wrong)]
            item.answered_at = started
        AttemptItem.objects.bulk_update(items, ["selected", "answered_at"])
        attempt_submit(attempt=attempt)
        attempt_score(attempt_id=attempt.pk)
        finished = started + timedelta(minutes=rng.randint(70, 119))
        Attempt.objects.filter(pk=attempt.pk).update(
            started_at=started,
            deadline=started + timedelta(minutes=blueprint.minutes),
            submitted_at=finished,
            scored_at=finished,
            predicted_at=finished,
        )
