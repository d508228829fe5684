"""Organizations (companies and schools), their departments, members, invitations and API tokens."""

import hashlib

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def secret_hash(key: str) -> str:
    """What is stored of a secret key (API token, invitation link): its SHA-256, never the key."""
    return hashlib.sha256(key.encode()).hexdigest()


class Organization(models.Model):
    """A company or school whose members practise on Moshi and whose HR sees their readiness."""

    name = models.CharField(_("組織名"), max_length=200)
    slug = models.SlugField(_("識別子"), unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # How long the audit log keeps its events (audit.tasks.purge_audit_events); empty: settings'
    # MOSHI_AUDIT_RETENTION_DAYS.
    audit_retention_days = models.PositiveIntegerField(
        _("監査ログの保存期間（日）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(30), MaxValueValidator(3650)],
    )
    # Password login is refused for addresses in the organization's verified domains (org admins excepted:
    # the break-glass, docs/organizations.md "シングルサインオン").
    sso_required = models.BooleanField(_("自社ドメインはSSOでのみログイン"), default=False)

    class Meta:
        db_table = "accounts_organization"  # created by accounts, before organizations had an app of its own
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
        db_table = "accounts_department"  # created by accounts, before organizations had an app of its own
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


def membership_window(moment, *, prefix: str = "") -> models.Q:
    """The one rule for when a person was an organization's member: joined_at ≤ moment < left_at (no left_at:
    still a member). What a person did outside that window is not the organization's to see. `moment` is a
    value or an expression (F, OuterRef) on the rows being filtered; `prefix` is the path from those rows to
    the membership ("user__memberships__"). Membership.covers() is the same rule for one row in Python,
    sql_membership_window for hand-written SQL."""
    return models.Q(**{f"{prefix}joined_at__lte": moment}) & (
        models.Q(**{f"{prefix}left_at__isnull": True}) | models.Q(**{f"{prefix}left_at__gt": moment})
    )


def sql_membership_window(membership: str, moment: str) -> str:
    """membership_window in hand-written SQL: `membership` is the membership table's alias, `moment` a column."""
    return f"({membership}.joined_at <= {moment} AND ({membership}.left_at IS NULL OR {membership}.left_at > {moment}))"


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
    # When the member's personal data was removed from the organization's records (the person deleted their
    # account, or the org admin removed it on request: privacy.services). The row stays, so the organization's
    # figures stay true; every page, CSV and the API then show 退会者 instead of a name.
    anonymized_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_membership"  # created by accounts, before organizations had an app of its own
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

    def covers(self, moment) -> bool:
        """membership_window for this one membership (`moment` a datetime)."""
        return self.joined_at <= moment and (self.left_at is None or moment < self.left_at)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.department_id and self.department.organization_id != self.organization_id:
            raise ValidationError({"department": _("部署は同じ組織のものを選んでください。")})

    @property
    def is_anonymized(self) -> bool:
        return self.anonymized_at is not None

    @property
    def shown_name(self) -> str:
        """The member's name as the organization's pages, CSVs and API show it (select_related("user"))."""
        if self.anonymized_at is not None:
            return str(ANONYMIZED_LABEL)
        return self.user.display_name or self.user.email

    @property
    def shown_email(self) -> str:
        return "" if self.anonymized_at is not None else self.user.email

    @property
    def can_manage_people(self) -> bool:
        return self.role == self.Role.ORG_ADMIN

    @property
    def can_see_reports(self) -> bool:
        return self.role in REPORT_ROLES


# What an organization's records show for a member whose personal data was removed.
ANONYMIZED_LABEL = _("退会者")

# Who sees an organization's reports, sets assignments and records real results for its members.
REPORT_ROLES = (Membership.Role.HR_MANAGER, Membership.Role.ORG_ADMIN)


def default_token_scopes() -> list[str]:
    # Tokens issued before scopes existed read the HR API, and only that (the migration gives them this).
    return [ApiToken.Scope.HR_READ]


class ApiToken(models.Model):
    """An organization's credential for its APIs. Only a SHA-256 of the key is stored; the key itself is shown
    once, when it is created. Its scopes say which API it opens: a token for an HR dashboard cannot provision
    people, and the identity provider's SCIM token cannot read results."""

    class Scope(models.TextChoices):
        HR_READ = "hr_read", _("人事データの読み取り（/api/v1/）")
        SCIM = "scim", _("メンバーの自動プロビジョニング（SCIM /scim/v2/）")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名前"), max_length=100)
    scopes = models.JSONField(_("権限"), default=default_token_scopes)
    prefix = models.CharField(max_length=12)  # shown in lists so admins can tell tokens apart
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_apitoken"  # created by accounts, before organizations had an app of its own
        verbose_name = _("APIトークン")
        verbose_name_plural = _("APIトークン")

    def __str__(self) -> str:
        return f"{self.organization} · {self.name} ({self.prefix}…)"

    def get_scopes_display(self) -> list[str]:
        labels = dict(self.Scope.choices)
        return [labels.get(scope, scope) for scope in self.scopes]


class ScimUser(models.Model):
    """What the organization's identity provider calls one of its members over SCIM: its userName and
    externalId (echoed back and searched by the provider), the name parts Moshi keeps only as one display
    name, and whether provisioning created the account (only then may the provider change the account's
    address and name; an account the person made themselves is theirs). A member deleted by the provider is
    kept, deactivated, for the organization's history, and is a 404 to SCIM from then on."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, primary_key=True, related_name="scim")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user_name = models.CharField(max_length=255)
    user_name_key = models.CharField(max_length=255)  # normalize_email(user_name): what lookups compare
    external_id = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    account_created = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SCIM ユーザー")
        verbose_name_plural = _("SCIM ユーザー")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user_name_key"],
                condition=models.Q(deleted_at=None),
                name="scim_user_name_unique_in_org",
            )
        ]

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(models.Model):
    """A department as the identity provider's group: its externalId, and whether the provider deleted it
    (a department that still holds deactivated members' history stays in Moshi, out of SCIM's sight)."""

    department = models.OneToOneField(Department, on_delete=models.CASCADE, primary_key=True, related_name="scim")
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SCIM グループ")
        verbose_name_plural = _("SCIM グループ")

    def __str__(self) -> str:
        return str(self.department_id)


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
        db_table = "accounts_invitation"  # created by accounts, before organizations had an app of its own
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


# --- Single sign-on (docs/organizations.md, "シングルサインオン") ------------------------------------------


class IdentityProvider(models.Model):
    """An organization's identity provider (Entra ID, Google Workspace, Okta…), over SAML 2.0 or OpenID
    Connect. Which claim or attribute carries the email, department and employee code is configured here."""

    class Protocol(models.TextChoices):
        SAML = "saml", "SAML 2.0"
        OIDC = "oidc", "OpenID Connect"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="identity_providers")
    name = models.CharField(_("表示名"), max_length=100)
    protocol = models.CharField(_("方式"), max_length=8, choices=Protocol.choices)
    is_active = models.BooleanField(_("有効"), default=True)
    # SAML: the IdP's metadata, fetched from its URL or uploaded; entity id taken from it.
    saml_metadata_url = models.URLField(_("メタデータURL"), max_length=500, blank=True)
    saml_metadata_xml = models.TextField(_("メタデータXML"), blank=True)
    saml_entity_id = models.CharField(_("IdPのエンティティID"), max_length=500, blank=True)
    # OpenID Connect: the issuer (discovery at <issuer>/.well-known/openid-configuration) and the client.
    oidc_issuer = models.URLField(_("発行者 (Issuer) URL"), max_length=500, blank=True)
    oidc_client_id = models.CharField(_("クライアントID"), max_length=255, blank=True)
    oidc_client_secret = models.CharField(max_length=500, blank=True)  # never rendered back into a page
    # Mapping: names of the claims (OIDC) or attributes (SAML). Email falls back to the SAML NameID.
    email_attribute = models.CharField(_("メールアドレスの属性"), max_length=255, default="email")
    name_attribute = models.CharField(_("氏名の属性"), max_length=255, blank=True, default="name")
    department_attribute = models.CharField(_("部署名の属性"), max_length=255, blank=True)
    employee_code_attribute = models.CharField(_("社員番号の属性"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("IDプロバイダー")
        verbose_name_plural = _("IDプロバイダー")

    def __str__(self) -> str:
        return f"{self.organization} · {self.name} ({self.get_protocol_display()})"


class ClaimedDomainQuerySet(models.QuerySet):
    def verified(self):
        return self.exclude(verified_at=None)


class ClaimedDomain(models.Model):
    """An email domain an organization says is its own. Until verified it does nothing; it is verified by an
    org admin's own sign-in through one of the organization's identity providers (selectors/services
    `domain_*`, docs "ドメインの確認"). A verified domain belongs to one organization only."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="claimed_domains")
    domain = models.CharField(_("ドメイン"), max_length=253)
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ClaimedDomainQuerySet.as_manager()

    class Meta:
        verbose_name = _("ドメイン")
        verbose_name_plural = _("ドメイン")
        constraints = [
            models.UniqueConstraint(fields=["organization", "domain"], name="claimed_domain_once_per_org"),
            models.UniqueConstraint(
                fields=["domain"], condition=~models.Q(verified_at=None), name="claimed_domain_verified_by_one_org"
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class SamlAssertionSeen(models.Model):
    """IDs of SAML assertions already used, kept until they expire, so a captured assertion cannot be replayed."""

    assertion_id = models.CharField(max_length=255, unique=True)
    identity_provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.assertion_id
