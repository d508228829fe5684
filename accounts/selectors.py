"""Reads about people and organizations, scoped to who is asking."""

from .models import Membership, User


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
