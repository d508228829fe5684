from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from .models import User


@shared_task(name="accounts.tasks.send_account_mail")
def send_account_mail(user_id: int, kind: str, link: str) -> int:
    """A sign-up mail, in the account's language: "confirm" (the confirmation link) or "existing" (someone
    signed up with an address that already has an account: sign-in and reset instead)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or kind not in ("confirm", "existing"):
        return 0
    with translation.override(user.preferred_language):
        context = {"user": user, "link": link}
        subject = render_to_string(f"accounts/email/{kind}_subject.txt", context).strip()
        body = render_to_string(f"accounts/email/{kind}_body.txt", context)
    return send_mail(subject, body, None, [user.email])
