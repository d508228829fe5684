from .models import normalize_email

# Longer is no email address (RFC 5321), and django-axes stores the name in a 255-character column.
MAX_NAME = 254


def lockout_username(request, credentials: dict | None) -> str | None:
    """The login name django-axes counts failures against: the same normalization the login uses, so every
    spelling of one account (full width, any case) shares one counter."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return normalize_email(username)[:MAX_NAME] or None if username else None
