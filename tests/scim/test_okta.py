"""The request sequence Okta's SCIM 2.0 provisioning sends (Okta's "SCIM 2.0 test spec" / Runscope tests): find
by userName, create, PUT the full profile, PUT active=false, and groups pushed with POST and PATCH."""

import pytest

from organizations.models import Membership
from organizations.selectors import membership_for

pytestmark = pytest.mark.django_db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def okta_user(**changes):
    return {
        "schemas": [USER],
        "userName": "taro.yamada@corp.jp",
        "name": {"givenName": "太郎", "familyName": "山田"},
        "emails": [{"primary": True, "value": "taro.yamada@corp.jp", "type": "work"}],
        "displayName": "山田 太郎",
        "locale": "ja-JP",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",  # Okta may push a password: Moshi never sets one from SCIM
        "active": True,
    } | changes


def test_okta_finds_creates_puts_and_deactivates_a_user(scim):
    assert (
        scim.get("Users", filter='userName eq "taro.yamada@corp.jp"', startIndex=1, count=100).json()["totalResults"]
        == 0
    )
    created = scim.post("Users", okta_user())
    assert created.status_code == 201, created.json()
    user_id = created.json()["id"]
    member = Membership.objects.select_related("user").get(pk=user_id)
    assert member.user.display_name == "山田 太郎" and not member.user.has_usable_password()
    assert created.json()["name"] == {"formatted": "山田 太郎", "familyName": "山田", "givenName": "太郎"}

    found = scim.get("Users", filter='userName eq "taro.yamada@corp.jp"', startIndex=1, count=100).json()
    assert [r["id"] for r in found["Resources"]] == [user_id]

    # Okta updates a profile with PUT of the whole user.
    updated = scim.put(
        f"Users/{user_id}", okta_user(name={"givenName": "次郎", "familyName": "山田"}, displayName="山田 次郎")
    )
    assert updated.status_code == 200, updated.json()
    assert updated.json()["displayName"] == "山田 次郎" and updated.json()["name"]["givenName"] == "次郎"

    # Deactivation: PUT with active false (older Okta apps) or PATCH {"active": false} without a path.
    deactivated = scim.put(f"Users/{user_id}", okta_user(active=False))
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    member.refresh_from_db()
    assert not member.is_active and member.left_at is not None and membership_for(user=member.user) is None

    reactivated = scim.patch(
        f"Users/{user_id}", {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": True}}]}
    )
    assert reactivated.json()["active"] is True and membership_for(user=member.user).pk == member.pk
    patched_off = scim.patch(
        f"Users/{user_id}", {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    )
    assert patched_off.json()["active"] is False


def test_okta_pushes_groups_with_post_and_patch(scim):
    ids = [
        scim.post("Users", okta_user(userName=f"u{n}@corp.jp", emails=[], externalId=f"x{n}")).json()["id"]
        for n in range(3)
    ]
    created = scim.post(
        "Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Test SCIMv2",
            "members": [{"value": ids[0], "display": "u0@corp.jp"}],
        },
    )
    assert created.status_code == 201, created.json()
    group_id = created.json()["id"]
    assert [m["value"] for m in created.json()["members"]] == [ids[0]]

    patch = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "replace", "value": {"id": group_id, "displayName": "Test SCIMv2 renamed"}},
            {"op": "remove", "path": f'members[value eq "{ids[0]}"]'},
            {"op": "add", "path": "members", "value": [{"value": ids[1], "display": "u1@corp.jp"}, {"value": ids[2]}]},
        ],
    }
    patched = scim.patch(f"Groups/{group_id}", patch)
    assert patched.status_code == 200, patched.json()
    assert patched.json()["displayName"] == "Test SCIMv2 renamed"
    assert sorted(m["value"] for m in patched.json()["members"]) == sorted(ids[1:])
    assert Membership.objects.get(pk=ids[0]).department is None

    # PUT replaces the member list.
    put = scim.put(
        f"Groups/{group_id}",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Test SCIMv2 renamed",
            "members": [{"value": ids[0]}],
        },
    )
    assert [m["value"] for m in put.json()["members"]] == [ids[0]]
    assert Membership.objects.get(pk=ids[1]).department is None
