from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string
from django.utils import translation

from . import sso_services
from .models import Invitation


@shared_task(name="organizations.tasks.send_invitations")
def send_invitations(links: dict[str, str]) -> int:
    """Mail each invitation its one-time link ({invitation id: absolute URL}). The link is built by the
    request that issued it, so it points at the host people actually use."""
    invitations = Invitation.objects.filter(pk__in=[int(i) for i in links], accepted_at=None, cancelled_at=None)
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for invitation in invitations.select_related("organization", "invited_by"):
            context = {"invitation": invitation, "link": links[str(invitation.pk)]}
            subject = render_to_string("organizations/email/invitation_subject.txt", context).strip()
            body = render_to_string("organizations/email/invitation_body.txt", context)
            messages.append((subject, body, None, [invitation.email]))
    return send_mass_mail(messages, fail_silently=False)


@shared_task(name="organizations.tasks.forget_expired_saml_assertions")
def forget_expired_saml_assertions() -> int:
    """Beat, hourly: drop the replay records of SAML assertions that have expired (they can no longer be used,
    so remembering them protects nothing, and the table would otherwise grow with every sign-in)."""
    return sso_services.expired_assertions_forget()
