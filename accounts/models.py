import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def normalize_email(value) -> str:
    """The one spelling of an email address that names an account: NFKC, then case folding. Full-width
    letters and ＠, any letter case and ligatures are one address; a dotless ı is another letter, so another
    address. Login, the login throttle, sign-up, invitations and imports all call this, so every spelling
    of one account shares one throttle counter (docs/organizations.md, "Sign-in")."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return unicodedata.normalize("NFKC", text.casefold()).strip()


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email) -> str:
        return normalize_email(email)

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str):
        # Emails are stored normalized, so an exact match finds every spelling of one account, and only it
        # (a case-insensitive lookup would let PostgreSQL's UPPER('ı') = 'I' match another account).
        return self.get(email=normalize_email(username))


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address: candidate, HR manager or author."""

    email = models.EmailField(_("メールアドレス"), unique=True)
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    preferred_language = models.CharField(
        _("表示言語"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_staff = models.BooleanField(_("スタッフ"), default=False)
    is_active = models.BooleanField(_("有効"), default=True)
    date_joined = models.DateTimeField(_("登録日時"), default=timezone.now)
    # Set by the link mailed at sign-up (or by accepting an invitation, which was mailed too). Until then the
    # account can practise but not join an organization's records or record real results.
    email_confirmed_at = models.DateTimeField(_("メール確認日時"), null=True, blank=True)
    # Set when the person deleted their account (privacy.services.account_delete): the row stays, emptied of
    # personal data, as the anonymous owner of their attempts, so statistics and organizations' figures hold.
    deleted_at = models.DateTimeField(_("退会日時"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("ユーザー")
        verbose_name_plural = _("ユーザー")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.display_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None
