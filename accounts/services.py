"""Writes about accounts: sign-up, email confirmation, language; each one a transaction."""

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .models import User, normalize_email


@transaction.atomic
def user_signup(
    *,
    email: str,
    password: str | None,
    display_name: str = "",
    preferred_language: str = "ja",
    confirmed: bool = False,
) -> User:
    """An individual candidate with no organization; `confirmed` when the caller has proof of the address.
    No password (None): the account signs in by its organization's SSO or sets one through password reset."""
    return User.objects.create_user(
        email=email,
        password=password,
        display_name=display_name,
        preferred_language=preferred_language,
        email_confirmed_at=timezone.now() if confirmed else None,
    )


CONFIRMATION_SALT = "moshi.accounts.email-confirmation"
CONFIRMATION_VALID_FOR = timedelta(days=3)
CONFIRMATION_INVALID = gettext_lazy("確認リンクが無効か、期限切れです。ログインして確認メールを再送してください。")


def signup_request(
    *, email: str, password: str, display_name: str, preferred_language: str, link_for: Callable[[str, str], str]
) -> None:
    """Sign-up that tells the asker nothing about which addresses have accounts: a new address gets an
    account and a confirmation link; one that has an account gets a mail saying so (with sign-in and reset
    links). The caller answers the same either way; the mails leave after commit, through Celery.
    `link_for(url_name, token)` builds absolute links for the mail."""
    email = normalize_email(email)
    try:
        with transaction.atomic():
            user = user_signup(
                email=email, password=password, display_name=display_name, preferred_language=preferred_language
            )
    except IntegrityError:  # the address has an account (or got one a moment ago in another request)
        make_password(password)  # the same hashing work as a new account, so the time taken does not tell
        user = User.objects.filter(email=email).first()
        if user is not None:
            _mail_account(user.pk, "existing", link_for("login", ""))
        return
    _mail_account(user.pk, "confirm", link_for("email_confirm", email_confirmation_token(user)))


def email_confirmation_resend(*, user: User, link_for: Callable[[str, str], str]) -> bool:
    if user.email_confirmed:
        return False
    _mail_account(user.pk, "confirm", link_for("email_confirm", email_confirmation_token(user)))
    return True


def _mail_account(user_id: int, kind: str, link: str) -> None:
    from .tasks import send_account_mail

    transaction.on_commit(lambda: send_account_mail.delay(user_id, kind, link))


def email_confirmation_token(user: User) -> str:
    return signing.dumps([user.pk, user.email], salt=CONFIRMATION_SALT, compress=True)


class ConfirmationInvalid(Exception):
    pass


def email_confirm(*, token: str) -> User:
    """Confirm the address a sign-up link was mailed to. Opening the link twice is harmless; a link for an
    address the account no longer has, a forged or an expired one is refused."""
    try:
        user_id, email = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_VALID_FOR)
    except (signing.BadSignature, ValueError, TypeError):
        raise ConfirmationInvalid(CONFIRMATION_INVALID) from None
    user = User.objects.filter(pk=user_id, email=email).first()
    if user is None:
        raise ConfirmationInvalid(CONFIRMATION_INVALID)
    User.objects.filter(pk=user.pk, email_confirmed_at=None).update(email_confirmed_at=timezone.now())
    user.refresh_from_db(fields=["email_confirmed_at"])
    return user


def user_set_language(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(preferred_language=language)
