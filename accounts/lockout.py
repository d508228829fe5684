def lockout_username(request, credentials: dict | None) -> str | None:
    """The login name django-axes counts failures against, lower-cased like stored emails so
    "Taro@example.jp" and "taro@example.jp" share one counter."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return username.strip().lower() if username else None
