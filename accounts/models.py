import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def secret_hash(key: str) -> str:
    """What is stored of a secret key (API token, invitation link): its SHA-256, never the key."""
    return hashlib.sha256(key.encode()).hexdigest()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
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
        # Emails are stored lower-cased, so "Taro@Example.jp" logs in as taro@example.jp.
        return self.get(email__iexact=username)


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
        self.email = self.__class__.objects.normalize_email(self.email).lower()


class Organization(models.Model):
    """A company or school whose members practise on Moshi and whose HR sees their readiness."""

    name = models.CharField(_("組織名"), max_length=200)
    slug = models.SlugField(_("識別子"), unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("組織")
        verbose_name_plural = _("組織")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("部署名"), max_length=200)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上位部署")
    )

    class Meta:
        verbose_name = _("部署")
        verbose_name_plural = _("部署")
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="department_name_unique_in_org")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.parent_id and self.parent.organization_id != self.organization_id:
            raise ValidationError({"parent": _("上位部署は同じ組織の部署である必要があります。")})
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": _("部署の親子関係が循環しています。")})
            ancestor = ancestor.parent


class Membership(models.Model):
    """A user's place in one organization: department, role and employee code."""

    class Role(models.TextChoices):
        MEMBER = "member", _("メンバー")
        HR_MANAGER = "hr_manager", _("人事・育成担当")
        ORG_ADMIN = "org_admin", _("組織管理者")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    employee_code = models.CharField(_("社員番号"), max_length=50, blank=True)
    is_active = models.BooleanField(_("有効"), default=True)
    joined_at = models.DateTimeField(default=timezone.now)
    # When the member was deactivated: what they do afterwards is no longer this organization's to see.
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("所属")
        verbose_name_plural = _("所属")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_one_per_user_org"),
            # Blank codes are allowed for many members; a given code identifies one person.
            models.UniqueConstraint(
                fields=["organization", "employee_code"],
                condition=~models.Q(employee_code=""),
                name="membership_employee_code_unique_in_org",
            ),
        ]
        indexes = [models.Index(fields=["organization", "department"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.department_id and self.department.organization_id != self.organization_id:
            raise ValidationError({"department": _("部署は同じ組織のものを選んでください。")})

    @property
    def can_manage_people(self) -> bool:
        return self.role == self.Role.ORG_ADMIN

    @property
    def can_see_reports(self) -> bool:
        return self.role in REPORT_ROLES


# Who sees an organization's reports, sets assignments and records real results for its members.
REPORT_ROLES = (Membership.Role.HR_MANAGER, Membership.Role.ORG_ADMIN)


class ApiToken(models.Model):
    """An organization's credential for the REST API (HR dashboards). Only a SHA-256 of the key is stored;
    the key itself is shown once, when it is created."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名前"), max_length=100)
    prefix = models.CharField(max_length=12)  # shown in lists so admins can tell tokens apart
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("APIトークン")
        verbose_name_plural = _("APIトークン")

    def __str__(self) -> str:
        return f"{self.organization} · {self.name} ({self.prefix}…)"


class Invitation(models.Model):
    """An org admin's invitation to join the organization. The one-time link's key is stored only as a
    SHA-256; accepting it creates the membership with the department, role and employee code given here."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("メールアドレス"))
    display_name = models.CharField(_("氏名"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("部署")
    )
    employee_code = models.CharField(_("社員番号"), max_length=50, blank=True)
    role = models.CharField(_("役割"), max_length=20, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    key_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("招待")
        verbose_name_plural = _("招待")
        constraints = [
            # One pending invitation per person and organization; a new one replaces the old.
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                condition=models.Q(accepted_at=None, cancelled_at=None),
                name="invitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None and self.expires_at > timezone.now()
