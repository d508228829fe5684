"""The request sequence Microsoft Entra ID's provisioning service (and its SCIM validator) sends, as documented
in "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID"."""

import pytest

from exams.models import Attempt
from organizations.models import Department, Membership
from organizations.selectors import membership_for

pytestmark = pytest.mark.django_db

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def entra_user(user_name="Test_User_ab6490ee", email="Test_User_fd0ea19b@TestUser.com"):
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
        ENTERPRISE: {"employeeNumber": "E-100", "department": "営業部"},
    }


def test_entra_id_creates_finds_updates_and_disables_a_user(scim, organization):
    # 1. Is the user there already? (filter on the matching attribute, userName)
    found = scim.get("Users", filter='userName eq "Test_User_ab6490ee"')
    assert found.status_code == 200 and found["Content-Type"].startswith("application/scim+json")
    assert found.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "itemsPerPage": 0,
        "startIndex": 1,
        "Resources": [],
    }

    # 2. Create it.
    created = scim.post("Users", entra_user())
    assert created.status_code == 201, created.json()
    user = created.json()
    assert user["userName"] == "Test_User_ab6490ee" and user["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    assert user["emails"] == [{"value": "test_user_fd0ea19b@testuser.com", "type": "work", "primary": True}]
    assert user["active"] is True and user[ENTERPRISE] == {"employeeNumber": "E-100", "department": "営業部"}
    assert user["name"]["familyName"] == "familyName" and created["Location"] == user["meta"]["location"]
    member = Membership.objects.select_related("user", "department").get(pk=user["id"])
    assert (member.organization, member.department.name, member.employee_code) == (organization, "営業部", "E-100")
    assert member.user.email == "test_user_fd0ea19b@testuser.com" and not member.user.has_usable_password()
    assert membership_for(user=member.user) == member

    # 3. Found by filter (any case) and by id; creating again is a uniqueness conflict.
    assert scim.get("Users", filter='userName eq "test_user_AB6490EE"').json()["Resources"][0]["id"] == user["id"]
    assert scim.get(f"Users/{user['id']}").json()["userName"] == "Test_User_ab6490ee"
    again = scim.post("Users", entra_user())
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"

    # 4. PATCH Replace attributes, Entra ID's spelling ("Replace", filtered email path, extension paths).
    patched = scim.patch(
        f"Users/{user['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@TestUser.com"},
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
                {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "E-200"},
                {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "開発部"},
                {"op": "Add", "path": "title", "value": "Engineer"},  # not kept by Moshi: accepted, dropped
                {"op": "Replace", "path": "displayName", "value": "山田 太郎"},
            ],
        },
    )
    assert patched.status_code == 200, patched.json()
    body = patched.json()
    assert (
        body["emails"][0]["value"] == "updatedemail@testuser.com" and body["name"]["familyName"] == "updatedFamilyName"
    )
    assert (
        body[ENTERPRISE] == {"employeeNumber": "E-200", "department": "開発部"} and body["displayName"] == "山田 太郎"
    )
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert (member.user.email, member.user.display_name) == ("updatedemail@testuser.com", "山田 太郎")
    assert (member.employee_code, member.department.name) == ("E-200", "開発部")

    # 5. PATCH active false (as the string Entra ID sent before its 2020 fix, too): membership ends, history kept.
    attempt_count = Attempt.objects.count()
    disabled = scim.patch(
        f"Users/{user['id']}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]},
    )
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    member.refresh_from_db()
    assert not member.is_active and member.left_at is not None and membership_for(user=member.user) is None
    assert Attempt.objects.count() == attempt_count
    assert scim.get(f"Users/{user['id']}").json()["active"] is False  # still there, inactive


def test_entra_id_creates_a_group_and_adds_and_removes_members(scim, organization):
    alice = scim.post("Users", entra_user("alice@corp.jp", "alice@corp.jp")).json()
    bob = scim.post("Users", entra_user("bob@corp.jp", "bob@corp.jp") | {ENTERPRISE: {}, "externalId": "b"}).json()
    assert (
        scim.get("Groups", filter='displayName eq "Group1"', excludedAttributes="members").json()["totalResults"] == 0
    )

    created = scim.post(
        "Groups",
        {
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Group1",
            "members": [],
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        },
    )
    assert created.status_code == 201, created.json()
    group = created.json()
    assert (group["displayName"], group["externalId"], group["members"]) == (
        "Group1",
        "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        [],
    )
    assert Department.objects.get(pk=group["id"]).organization == organization
    listed = scim.get("Groups", filter='displayName eq "Group1"', excludedAttributes="members").json()
    assert listed["Resources"][0]["id"] == group["id"] and "members" not in listed["Resources"][0]

    add = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": alice["id"]}, {"value": bob["id"]}]}
        ],
    }
    assert scim.patch(f"Groups/{group['id']}", add).status_code == 200
    assert {m["value"] for m in scim.get(f"Groups/{group['id']}").json()["members"]} == {alice["id"], bob["id"]}
    assert Membership.objects.get(pk=alice["id"]).department_id == int(group["id"])

    remove = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Remove", "path": "members", "value": [{"value": bob["id"]}]}],
    }
    rename = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Replace", "path": "displayName", "value": "Group1 renamed"}],
    }
    assert scim.patch(f"Groups/{group['id']}", remove).status_code == 200
    renamed = scim.patch(f"Groups/{group['id']}", rename).json()
    assert renamed["displayName"] == "Group1 renamed" and [m["value"] for m in renamed["members"]] == [alice["id"]]
    assert Membership.objects.get(pk=bob["id"]).department is None

    # Deleting the group: Alice leaves it; nobody's history holds it, so the department goes.
    assert scim.delete(f"Groups/{group['id']}").status_code == 204
    assert scim.get(f"Groups/{group['id']}").status_code == 404
    assert not Department.objects.filter(pk=group["id"]).exists()
    assert Membership.objects.get(pk=alice["id"]).is_active
