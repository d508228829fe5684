"""The PATCH and filter grammar on plain dicts: each provider's spelling, and what is refused."""

import pytest

from api.scim.errors import ScimError
from api.scim.filters import parse_filter
from api.scim.patch import apply_patch
from api.scim.resources import USER_SCHEMAS, user_profile

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER = {
    "schemas": USER_SCHEMAS,
    "id": "7",
    "userName": "a@corp.jp",
    "name": {"formatted": "A"},
    "emails": [{"value": "a@corp.jp", "type": "work", "primary": True}],
    "active": True,
    ENTERPRISE: {"employeeNumber": "E1", "department": ""},
}


def patch(*operations):
    return apply_patch(USER, {"Operations": list(operations)}, schemas=USER_SCHEMAS)


def test_entra_ids_pathless_replace_with_dotted_and_extension_keys():
    patched = patch(
        {
            "op": "Replace",
            "value": {"name.givenName": "花子", f"{ENTERPRISE}:department": "人事部", "active": "False"},
        }
    )
    assert patched["name"] == {"formatted": "A", "givenName": "花子"} and patched[ENTERPRISE]["department"] == "人事部"
    profile = user_profile(patched)
    assert (profile.active, profile.department, profile.employee_code, profile.given_name) == (
        False,
        "人事部",
        "E1",
        "花子",
    )
    assert USER["active"] is True and "givenName" not in USER["name"]  # the original is untouched


def test_paths_in_any_case_with_the_core_urn_and_filtered_elements():
    patched = patch(
        {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:USERNAME", "value": "b@corp.jp"},
        {"op": "add", "path": 'emails[type eq "home"].value', "value": "home@example.jp"},
        {"op": "remove", "path": f"{ENTERPRISE}:employeeNumber"},
    )
    assert patched["userName"] == "b@corp.jp" and patched[ENTERPRISE] == {"department": ""}
    assert {e["type"]: e["value"] for e in patched["emails"]} == {"work": "a@corp.jp", "home": "home@example.jp"}
    assert user_profile(patched).email == "a@corp.jp"  # the primary address stays the account's


def test_refused_operations_name_their_scim_type():
    for body, scim_type in (
        ({"Operations": [{"op": "copy", "path": "active"}]}, "invalidSyntax"),
        ({"Operations": [{"op": "remove"}]}, "noTarget"),
        ({"Operations": [{"op": "replace", "value": "x"}]}, "invalidValue"),
        ({"Operations": [{"op": "replace", "path": "emails[type ne 1", "value": 1}]}, "invalidPath"),
        ({"Operations": [{"op": "replace", "path": "a"}] * 1001}, "tooMany"),
        ({}, "invalidSyntax"),
    ):
        with pytest.raises(ScimError) as refused:
            apply_patch(USER, body, schemas=USER_SCHEMAS)
        assert refused.value.scim_type == scim_type


def test_filters_accept_eq_on_named_attributes_only():
    attributes = {"userName": "user_name", "externalId": "external_id"}
    assert parse_filter('UserName EQ "a\\"b@corp.jp"', attributes) == ("user_name", 'a"b@corp.jp')
    assert parse_filter(None, attributes) is None and parse_filter("  ", attributes) is None
    for text in ('userName sw "a"', 'name.familyName eq "x"', 'userName eq "a" and active eq true', "userName eq a"):
        with pytest.raises(ScimError) as refused:
            parse_filter(text, attributes)
        assert refused.value.scim_type == "invalidFilter" and 'userName eq "…"' in str(refused.value.detail)
