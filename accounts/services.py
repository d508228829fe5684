"""Writes about people and organizations; each one a transaction."""

from django.db import transaction

from .models import Department, Membership, Organization, User


@transaction.atomic
def user_signup(*, email: str, password: str, display_name: str = "", preferred_language: str = "ja") -> User:
    """An individual candidate with no organization."""
    return User.objects.create_user(
        email=email, password=password, display_name=display_name, preferred_language=preferred_language
    )


def user_set_language(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(preferred_language=language)


@transaction.atomic
def membership_add(
    *,
    user: User,
    organization: Organization,
    role: str = Membership.Role.MEMBER,
    department: Department | None = None,
    employee_code: str = "",
) -> Membership:
    membership = Membership(
        user=user, organization=organization, role=role, department=department, employee_code=employee_code
    )
    membership.full_clean()
    membership.save()
    return membership
