"""Moshi's members and departments as SCIM Users and Groups (RFC 7643), and back."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import normalize_email
from organizations.models import Department, Membership
from organizations.services import ProvisionedProfile

from .errors import ScimError

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER_SCHEMAS = [USER, ENTERPRISE]
GROUP_SCHEMAS = [GROUP]


def _stamp(moment) -> str:
    return moment.isoformat()


def user_resource(member: Membership, request) -> dict:
    """A membership as a SCIM User: its id is the membership's (the HR API's member id too)."""
    scim = getattr(member, "scim", None)
    user = member.user
    name = {"formatted": user.display_name}
    if scim is not None:
        name |= {k: v for k, v in (("familyName", scim.family_name), ("givenName", scim.given_name)) if v}
    resource = {
        "schemas": USER_SCHEMAS,
        "id": str(member.pk),
        **({"externalId": scim.external_id} if scim is not None and scim.external_id else {}),
        "userName": scim.user_name if scim is not None else user.email,
        "name": name,
        "displayName": user.display_name,
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "active": member.is_active,
        ENTERPRISE: {
            "employeeNumber": member.employee_code,
            "department": member.department.name if member.department else "",
        },
        "groups": (
            [{"value": str(member.department_id), "display": member.department.name}] if member.department else []
        ),
        "meta": {
            "resourceType": "User",
            "created": _stamp(member.joined_at),
            "lastModified": _stamp(scim.updated_at if scim is not None else member.joined_at),
            "location": request.build_absolute_uri(reverse("scim:user", args=[member.pk])),
        },
    }
    return resource


def group_resource(department: Department, request, *, members: bool = True) -> dict:
    scim = getattr(department, "scim", None)
    resource = {
        "schemas": GROUP_SCHEMAS,
        "id": str(department.pk),
        **({"externalId": scim.external_id} if scim is not None and scim.external_id else {}),
        "displayName": department.name,
        "meta": {
            "resourceType": "Group",
            "created": _stamp(scim.created_at) if scim is not None else None,
            "lastModified": _stamp(scim.updated_at) if scim is not None else None,
            "location": request.build_absolute_uri(reverse("scim:group", args=[department.pk])),
        },
    }
    resource["meta"] = {k: v for k, v in resource["meta"].items() if v is not None}
    if members:
        resource["members"] = [
            {
                "value": str(m.pk),
                "display": m.user.email,
                "$ref": request.build_absolute_uri(reverse("scim:user", args=[m.pk])),
            }
            for m in department.scim_member_list
        ]
    return resource


def _text(value, name: str, *, limit: int, required: bool = False) -> str:
    """A string attribute's value (`name` is how messages call it)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ScimError(_("%(name)s は文字列にしてください。") % {"name": name}, scim_type="invalidValue")
    if required and not value.strip():
        raise ScimError(_("%(name)s は必須です。") % {"name": name}, scim_type="invalidValue")
    if len(value) > limit:
        raise ScimError(
            _("%(name)s は %(limit)d 文字までです。") % {"name": name, "limit": limit}, scim_type="invalidValue"
        )
    return value.strip()


def _get(data: dict, name: str):
    """An attribute whatever its case (userName, username, USERNAME are one attribute in SCIM)."""
    for key, value in data.items():
        if key.lower() == name.lower():
            return value
    return None


def _boolean(value, name: str) -> bool:
    # Entra ID sent "True"/"False" as strings before its 2020 fix, and some tenants still do.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ScimError(_("%(name)s は true か false にしてください。") % {"name": name}, scim_type="invalidValue")


def _email_of(data: dict, user_name: str) -> str:
    """The account's address: the primary (else work, else first) of `emails`, or userName if it is one."""
    emails = _get(data, "emails") or []
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise ScimError(_("emails はオブジェクトの配列にしてください。"), scim_type="invalidValue")
    ranked = sorted(emails, key=lambda e: (_get(e, "primary") is not True, _get(e, "type") != "work"))
    candidates = [str(_get(e, "value") or "") for e in ranked] + [user_name]
    for candidate in candidates:
        email = normalize_email(candidate)
        try:
            validate_email(email)
        except ValidationError:
            continue
        if len(email) <= 254:
            return email
    raise ScimError(
        _("メールアドレスがありません。emails か userName にメールアドレスを入れてください。"),
        scim_type="invalidValue",
    )


def user_profile(data) -> ProvisionedProfile:
    """A SCIM User body (POST or PUT, or a PATCHed resource) as the member it describes."""
    if not isinstance(data, dict):
        raise ScimError(_("User はオブジェクトにしてください。"), scim_type="invalidSyntax")
    data = {key: value for key, value in data.items() if isinstance(key, str)}
    user_name = _text(_get(data, "userName"), "userName", limit=255, required=True)
    name = _get(data, "name") or {}
    if not isinstance(name, dict):
        raise ScimError(_("name はオブジェクトにしてください。"), scim_type="invalidValue")
    family = _text(_get(name, "familyName"), "name.familyName", limit=100)
    given = _text(_get(name, "givenName"), "name.givenName", limit=100)
    # Japanese order, family name first, when the provider sends no display name.
    display = (
        _text(_get(data, "displayName"), "displayName", limit=100)
        or _text(_get(name, "formatted"), "name.formatted", limit=100)
        or " ".join(part for part in (family, given) if part)[:100]
    )
    enterprise = _get(data, ENTERPRISE) or {}
    if not isinstance(enterprise, dict):
        raise ScimError(_("%(urn)s はオブジェクトにしてください。") % {"urn": ENTERPRISE}, scim_type="invalidValue")
    employee_number = _get(enterprise, "employeeNumber")
    department = _get(enterprise, "department")
    active = _get(data, "active")
    return ProvisionedProfile(
        user_name=user_name,
        email=_email_of(data, user_name),
        display_name=display,
        given_name=given,
        family_name=family,
        external_id=_text(_get(data, "externalId"), "externalId", limit=255),
        employee_code=None if employee_number is None else _text(employee_number, "employeeNumber", limit=50),
        department=None if department is None else _text(department, "department", limit=200),
        active=True if active is None else _boolean(active, "active"),
    )


def group_fields(data) -> tuple[str, str, list[int]]:
    """A SCIM Group body's displayName, externalId and member ids."""
    if not isinstance(data, dict):
        raise ScimError(_("Group はオブジェクトにしてください。"), scim_type="invalidSyntax")
    name = _text(_get(data, "displayName"), "displayName", limit=200, required=True)
    external_id = _text(_get(data, "externalId"), "externalId", limit=255)
    members = _get(data, "members") or []
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise ScimError(_("members はオブジェクトの配列にしてください。"), scim_type="invalidValue")
    ids = []
    for member in members:
        value = str(_get(member, "value") or "")
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            raise ScimError(
                _("members の value「%(v)s」はこの組織のユーザーの ID ではありません。") % {"v": value[:40]},
                scim_type="invalidValue",
            )
        ids.append(int(value))
    return name, external_id, ids
