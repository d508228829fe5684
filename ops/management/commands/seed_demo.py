"""Demo data for a first look: an organization with departments and people, and their logins.

Idempotent: running it again updates the same rows and creates nothing twice. Other apps add their
own demo data through the `seed_demo` hooks listed in SEED_STEPS (syllabus, questions, blueprints).
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from organizations.models import Department, Membership, Organization

DEMO_PASSWORD = "moshi-demo-2026"  # noqa: S105 - demo accounts only; printed for the person trying Moshi
ORG_NAME = "デモ株式会社"
DEPARTMENTS = ("営業部", "開発部", "人事部")
PEOPLE = [
    # email, display name, department, role, employee code
    ("admin@demo.moshi.example", "管理 太郎", "人事部", Membership.Role.ORG_ADMIN, "D0001"),
    ("hr@demo.moshi.example", "人事 花子", "人事部", Membership.Role.HR_MANAGER, "D0002"),
    ("sato@demo.moshi.example", "佐藤 一郎", "営業部", Membership.Role.MEMBER, "D0101"),
    ("suzuki@demo.moshi.example", "鈴木 二郎", "営業部", Membership.Role.MEMBER, "D0102"),
    ("tanaka@demo.moshi.example", "田中 三子", "開発部", Membership.Role.MEMBER, "D0201"),
    ("takahashi@demo.moshi.example", "高橋 四郎", "開発部", Membership.Role.MEMBER, "D0202"),
]
SUPERUSER_EMAIL = "superuser@demo.moshi.example"
INDIVIDUAL_EMAIL = "candidate@demo.moshi.example"

# Commands other apps provide, run after the people exist (by name: accounts imports no other app).
SEED_STEPS = ("load_syllabus", "seed_questions", "seed_blueprints", "seed_demo_activity")


class Command(BaseCommand):
    help = "Create or update the demo organization, its people and sample content, and print their logins."

    def handle(self, *args, **options):
        with transaction.atomic():
            org, _ = Organization.objects.update_or_create(slug="demo", defaults={"name": ORG_NAME})
            departments = {
                name: Department.objects.get_or_create(organization=org, name=name)[0] for name in DEPARTMENTS
            }
            for email, name, department, role, code in PEOPLE:
                user = self._user(email, name)
                Membership.objects.update_or_create(
                    user=user,
                    organization=org,
                    defaults={"department": departments[department], "role": role, "employee_code": code},
                )
            self._user(INDIVIDUAL_EMAIL, "個人 受験者")
            self._user(SUPERUSER_EMAIL, "スーパーユーザー", is_staff=True, is_superuser=True)

        for step in SEED_STEPS:
            call_command(step, stdout=self.stdout)

        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Every demo login uses the password: {DEMO_PASSWORD}"))
        for email, _name, department, role, _code in PEOPLE:
            self.stdout.write(f"  {email:32} {ORG_NAME} {department} {Membership.Role(role).label}")
        self.stdout.write(f"  {INDIVIDUAL_EMAIL:32} 個人受験者（組織なし）")
        self.stdout.write(f"  {SUPERUSER_EMAIL:32} スーパーユーザー（/admin/）")

    def _user(self, email: str, name: str, **flags) -> User:
        # Demo people are made by the operator, so their addresses count as confirmed.
        defaults = {"display_name": name, "email_confirmed_at": timezone.now(), **flags}
        user, created = User.objects.get_or_create(email=email, defaults=defaults)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user
