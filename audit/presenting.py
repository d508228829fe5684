"""How an audit event reads to an org admin, on the page and in the CSV."""

from django.utils.translation import gettext as _

from organizations.models import ANONYMIZED_LABEL

from .models import AuditEvent


def actor_label(event: AuditEvent) -> str:
    if event.token_id is not None:
        return _("APIトークン「%(name)s」（%(prefix)s…）") % {"name": event.token.name, "prefix": event.token.prefix}
    if event.actor is None:
        return _("システム")
    if event.actor.deleted_at is not None:
        return str(ANONYMIZED_LABEL)
    return event.actor.display_name or event.actor.email


def target_label(event: AuditEvent) -> str:
    return event.target.shown_name if event.target is not None else ""


def details_text(event: AuditEvent) -> str:
    """The details on one line: `view=members, q=営業`; a change as `role=member→hr_manager`."""
    return ", ".join(
        f"{key}={_shown(value)}" for key, value in event.details.items() if value not in (None, "", [], {})
    )


def _shown(value) -> str:
    if isinstance(value, list) and len(value) == 2 and not any(isinstance(v, list | dict) for v in value):
        before, after = ("—" if v is None else v for v in value)
        return f"{before}→{after}"
    return str(value)
