"""Reads about people and organizations, scoped to who is asking."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Department, Invitation, Membership, User, secret_hash


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
    """Memberships matching what HR types in a search box: part of a name or email, or an employee code."""
    return Q(user__email__icontains=query) | Q(user__display_name__icontains=query) | Q(employee_code=query)


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
