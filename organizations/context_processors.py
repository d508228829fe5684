from django.utils.functional import SimpleLazyObject

from .selectors import membership_for


def membership(request):
    """The signed-in user's membership, for the header's organization link; read only if a page uses it.
    Views that already have it pass their own `user_membership`, which takes precedence."""
    return {"user_membership": SimpleLazyObject(lambda: membership_for(user=request.user))}
