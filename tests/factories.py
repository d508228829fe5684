import factory
from django.utils import timezone

from accounts.models import User
from organizations.models import Department, Membership, Organization

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    display_name = factory.Sequence(lambda n: f"受験者{n}")
    email_confirmed_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"株式会社テスト{n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"部署{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    department = factory.LazyAttribute(lambda m: DepartmentFactory(organization=m.organization))
    role = Membership.Role.MEMBER
    employee_code = factory.Sequence(lambda n: f"E{n:05d}")


def make_question(
    *,
    external_id: str,
    area: str = "G4.2",
    kind: str = "single",
    stem: str = "ReLU関数の説明として正しいものはどれですか。",
    choices=(("正の入力をそのまま出力する", True), ("常に0から1を出力する", False), ("常に負を出力する", False)),
    explanation: str = "ReLUは max(0, x) です。",
    framework: str = "common",
    publish: bool = True,
    stimulus=None,
    difficulty: int = 3,
):
    """A question through the same service as imports, so tests see what authors produce."""
    from questions.models import Choice, Question, SyllabusArea
    from questions.services import question_publish

    area_obj = SyllabusArea.objects.select_related("exam").get(code=area)
    question = Question.objects.create(
        external_id=external_id,
        exam=area_obj.exam,
        area=area_obj,
        kind=kind,
        stem=stem,
        explanation=explanation,
        framework=framework,
        stimulus=stimulus,
        difficulty=difficulty,
    )
    Choice.objects.bulk_create(
        Choice(question=question, order=i, text=text, is_correct=correct) for i, (text, correct) in enumerate(choices)
    )
    if publish:
        question_publish(question=question, by=None, via="command")
        question.refresh_from_db()
    return question


def key_positions(item) -> list[int]:
    """Screen positions of an attempt item's correct choices: what a candidate who knows the key clicks."""
    keys = set(item.version.choices.filter(is_correct=True).values_list("pk", flat=True))
    return [n for n, cid in enumerate(item.choice_order) if cid in keys]
