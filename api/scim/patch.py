"""SCIM PATCH (RFC 7644 §3.5.2) applied to a resource as a plain dict, as Entra ID and Okta send it: ops in
any case ("Replace"), paths like `active`, `name.familyName`, `emails[type eq "work"].value`,
`members[value eq "42"]`, the enterprise extension's `urn:…:User:employeeNumber`, or no path and a dict of
attributes (Okta's `{"active": false}`, Entra ID's `{"name.givenName": …}`). The view turns the patched dict
into the same update a PUT makes, so PATCH and PUT have one write path. Attributes Moshi does not keep are
patched into the dict and then ignored, so a provider's default attribute mapping does not fail."""

import copy
import json
import re

from django.utils.translation import gettext as _

from .errors import ScimError

SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_OPERATIONS = 1000
PATH = re.compile(
    r'^(?P<attribute>[A-Za-z$][\w$-]*)(?:\[(?P<sub>[A-Za-z][\w-]*)\s+eq\s+(?P<value>"(?:[^"\\]|\\.)*"|[\w.-]+)\])?'
    r"(?:\.(?P<subattribute>[A-Za-z][\w-]*))?$",
    re.IGNORECASE,
)


def apply_patch(resource: dict, body, *, schemas: list[str]) -> dict:
    """A copy of `resource` with the PatchOp `body` applied. `schemas` are the resource's schema URNs (the
    first is the core one): a path may start with one of them."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        raise ScimError(_("PatchOp の Operations（配列）が必要です。"), scim_type="invalidSyntax")
    if len(body["Operations"]) > MAX_OPERATIONS:
        raise ScimError(_("一度に送れる操作は %(n)d 件までです。") % {"n": MAX_OPERATIONS}, scim_type="tooMany")
    patched = copy.deepcopy(resource)
    for operation in body["Operations"]:
        if not isinstance(operation, dict):
            raise ScimError(_("Operations の各要素はオブジェクトにしてください。"), scim_type="invalidSyntax")
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise ScimError(
                _("op「%(op)s」は使えません（add, replace, remove）。") % {"op": operation.get("op")},
                scim_type="invalidSyntax",
            )
        path, value = operation.get("path"), operation.get("value")
        if path is None:
            if op == "remove":
                raise ScimError(_("remove には path が必要です。"), scim_type="noTarget")
            if not isinstance(value, dict):
                raise ScimError(_("path のない操作の value はオブジェクトにしてください。"), scim_type="invalidValue")
            for name, item in value.items():
                _apply(patched, op, str(name), item, schemas)
        else:
            _apply(patched, op, str(path), value, schemas)
    return patched


def _key(container: dict, name: str) -> str:
    """The container's own spelling of an attribute name (SCIM's names are case-insensitive)."""
    for key in container:
        if key.lower() == name.lower():
            return key
    return name


def _apply(resource: dict, op: str, path: str, value, schemas: list[str]) -> None:
    container = resource
    for urn in schemas:
        if path.lower().startswith(urn.lower() + ":"):
            path = path[len(urn) + 1 :]
            if urn != schemas[0]:
                container = resource.setdefault(_key(resource, urn), {})
            break
        if path.lower() == urn.lower() and isinstance(value, dict):  # the whole extension as the value
            for name, item in value.items():
                _apply(resource, op, f"{urn}:{name}", item, schemas)
            return
    match = PATH.match(path)
    if match is None:
        raise ScimError(_("path「%(path)s」を解釈できません。") % {"path": path}, scim_type="invalidPath")
    attribute = _key(container, match["attribute"])
    if match["sub"] is None:
        _apply_plain(container, op, attribute, match["subattribute"], value)
    else:
        _apply_filtered(container, op, attribute, match, value)


def _apply_plain(container: dict, op: str, attribute: str, subattribute: str | None, value) -> None:
    if subattribute is not None:  # name.familyName
        parent = container.get(attribute)
        if not isinstance(parent, dict):
            parent = container[attribute] = {}
        _apply_plain(parent, op, _key(parent, subattribute), None, value)
        return
    if op == "remove":
        if isinstance(value, list) and isinstance(container.get(attribute), list):  # Entra ID: members to remove
            gone = {_identity(item) for item in value}
            container[attribute] = [item for item in container[attribute] if _identity(item) not in gone]
        else:
            container.pop(attribute, None)
    elif op == "add" and isinstance(container.get(attribute), list):
        added = value if isinstance(value, list) else [value]
        present = {_identity(item) for item in container[attribute]}
        container[attribute] += [item for item in added if _identity(item) not in present]
    else:
        container[attribute] = value


def _apply_filtered(container: dict, op: str, attribute: str, match, value) -> None:
    """emails[type eq "work"].value, members[value eq "42"]: the elements whose `sub` equals the value."""
    wanted = json.loads(match["value"]) if match["value"].startswith('"') else match["value"]
    items = container.get(attribute)
    if not isinstance(items, list):
        items = container[attribute] = []
    sub, subattribute = match["sub"], match["subattribute"]
    chosen = [item for item in items if isinstance(item, dict) and str(item.get(_key(item, sub))) == str(wanted)]
    if op == "remove":
        if subattribute is None:
            container[attribute] = [item for item in items if item not in chosen]
        for item in chosen if subattribute else []:
            item.pop(_key(item, subattribute), None)
        return
    if not chosen:  # replace or add on an element not there yet: it is created
        chosen = [{sub: wanted}]
        items.append(chosen[0])
    for item in chosen:
        if subattribute is None:
            if isinstance(value, dict):
                item.update(value)
        else:
            item[_key(item, subattribute)] = value


def _identity(item) -> str:
    """What makes two elements of a multi-valued attribute the same: a member's value, or the element."""
    return str(item.get("value")) if isinstance(item, dict) else str(item)
