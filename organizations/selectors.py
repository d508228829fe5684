"""Reads about people and organizations, scoped to who is asking."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User, normalize_email

from .models import ApiToken, Department, Invitation, Membership, Organization, secret_hash


def membership_for(*, user: User) -> Membership | None:
    """The user's active membership (Moshi users belong to at most one organization in practice)."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organization", "department")
        .filter(user=user, is_active=True)
        .order_by("joined_at")
        .first()
    )


def is_org_admin(*, user, organization_id: int) -> bool:
    """Whether the person is an active org admin of the organization: the one check behind every org admin's
    power (members, SSO, audit retention, personal data removal, break-glass password login)."""
    return Membership.objects.filter(
        user=user, organization_id=organization_id, role=Membership.Role.ORG_ADMIN, is_active=True
    ).exists()


def manager_membership(*, user, admin: bool = False) -> Membership:
    """The membership of someone who may see the organization's reports (HR manager or org admin), or
    manage its people (org admin only, with admin=True). Anyone else gets 403."""
    membership = membership_for(user=user)
    if membership is None or not (membership.can_manage_people if admin else membership.can_see_reports):
        raise PermissionDenied
    return membership


def members_of(*, organization_id: int, query: str = "", department_id: int | None = None, active: bool | None = True):
    """The organization's memberships for lists: searchable by name, email or employee code."""
    members = Membership.objects.filter(organization_id=organization_id).select_related("user", "department")
    if active is not None:
        members = members.filter(is_active=active)
    if department_id:
        members = members.filter(department_id=department_id)
    if query:
        members = members.filter(member_search(query))
    return members.order_by("department__name", "user__display_name", "pk")


def member_search(query: str) -> Q:
    """Memberships matching what HR types in a search box: part of a name or email, or an employee code. A member
    whose personal data was removed is found by none of these: the organization no longer knows them."""
    matches = Q(user__email__icontains=query) | Q(user__display_name__icontains=query) | Q(employee_code=query)
    return matches & Q(anonymized_at__isnull=True)


def member_of(*, organization_id: int, membership_id: int) -> Membership:
    """One membership of the organization; another organization's id is a 404."""
    return get_object_or_404(
        Membership.objects.select_related("user", "department"), pk=membership_id, organization_id=organization_id
    )


def departments_of(*, organization_id: int):
    return (
        Department.objects.filter(organization_id=organization_id)
        .annotate(member_count=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("name")
    )


def pending_invitations(*, organization_id: int):
    return (
        Invitation.objects.filter(
            organization_id=organization_id, accepted_at=None, cancelled_at=None, expires_at__gt=timezone.now()
        )
        .select_related("department")
        .order_by("-created_at")
    )


def invitation_for_key(*, key: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization")
        .filter(key_hash=secret_hash(key), accepted_at=None, cancelled_at=None, expires_at__gt=timezone.now())
        .first()
    )


def is_member_of(*, organization_id: int | None, membership_id: int) -> bool:
    return Membership.objects.filter(organization_id=organization_id, pk=membership_id).exists()


def is_department_of(*, organization_id: int | None, department_id: int) -> bool:
    return Department.objects.filter(organization_id=organization_id, pk=department_id).exists()


def organization_summary(organization_id: int) -> dict:
    """The organization with its active members and departments counted, for the API's summary."""
    organization = Organization.objects.annotate(
        members=Count("memberships", filter=Q(memberships__is_active=True), distinct=True),
        departments_count=Count("departments", distinct=True),
    ).get(pk=organization_id)
    return {
        "id": organization.pk,
        "name": organization.name,
        "slug": organization.slug,
        "members": organization.members,
        "departments": organization.departments_count,
    }


def api_tokens_of(*, organization_id: int):
    return ApiToken.objects.filter(organization_id=organization_id).order_by("-created_at")


def api_token_of(*, organization_id: int, token_id: int) -> ApiToken:
    """One token of the organization; another organization's id is a 404."""
    return get_object_or_404(ApiToken, pk=token_id, organization_id=organization_id)


# --- What the organization's identity provider sees over SCIM ----------------------------------------------


def _not_deprovisioned(prefix: str = "") -> Q:
    return Q(**{f"{prefix}scim__isnull": True}) | Q(**{f"{prefix}scim__deleted_at__isnull": True})


def scim_members(
    *,
    organization_id: int | None,
    user_name: str | None = None,
    external_id: str | None = None,
    email: str | None = None,
):
    """The organization's members, active or not, as SCIM Users: every membership except those the provider
    deleted. userName matches what the provider sent when it created the member, or the account's address for
    members who joined by invitation (so the provider finds and links them instead of creating a second)."""
    members = (
        Membership.objects.filter(_not_deprovisioned(), organization_id=organization_id)
        .select_related("user", "department", "scim")
        .order_by("pk")
    )
    if user_name is not None:
        key = normalize_email(user_name)
        members = members.filter(Q(scim__user_name_key=key) | Q(scim__isnull=True, user__email=key))
    if external_id is not None:
        members = members.filter(scim__external_id=external_id) if external_id else members.none()
    if email is not None:
        members = members.filter(user__email=normalize_email(email))
    return members


def scim_member(*, organization_id: int | None, membership_id: int) -> Membership:
    """One SCIM User of the organization; another organization's id, or a deleted one, is a 404."""
    return get_object_or_404(scim_members(organization_id=organization_id), pk=membership_id)


def scim_departments(
    *, organization_id: int | None, display_name: str | None = None, external_id: str | None = None, members=True
):
    """The organization's departments as SCIM Groups (except those the provider deleted), each with its
    members in `scim_member_list` when `members` (one more query, whatever the number of groups)."""
    departments = (
        Department.objects.filter(_not_deprovisioned(), organization_id=organization_id)
        .select_related("scim")
        .order_by("pk")
    )
    if display_name is not None:
        departments = departments.filter(name=display_name.strip())
    if external_id is not None:
        departments = departments.filter(scim__external_id=external_id) if external_id else departments.none()
    if members:
        in_sight = Membership.objects.filter(_not_deprovisioned()).select_related("user").order_by("pk")
        departments = departments.prefetch_related(Prefetch("memberships", in_sight, to_attr="scim_member_list"))
    return departments


def scim_department(*, organization_id: int | None, department_id: int) -> Department:
    """One SCIM Group of the organization; another organization's id, or a deleted one, is a 404."""
    return get_object_or_404(scim_departments(organization_id=organization_id), pk=department_id)


def scim_member_ids(*, organization_id: int | None, membership_ids) -> set[int]:
    """Of these ids, those that are SCIM Users of the organization."""
    members = scim_members(organization_id=organization_id).filter(pk__in=list(membership_ids))
    return set(members.values_list("pk", flat=True))
