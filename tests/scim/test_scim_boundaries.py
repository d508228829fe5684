"""Who may call SCIM and what it may reach: tokens, scopes, organizations, odd input, query counts."""

import pytest

from exams.models import Attempt
from organizations.models import ApiToken, Membership, ScimUser
from organizations.selectors import membership_for
from organizations.services import api_token_create, api_token_revoke
from tests.factories import DepartmentFactory, MembershipFactory

from .conftest import ScimClient

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def new_user(user_name="hanako@corp.jp", **more):
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, "active": True} | more


def assert_scim_error(response, status, scim_type=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    if scim_type:
        assert body["scimType"] == scim_type


def test_no_token_a_bad_one_a_revoked_one_and_an_hr_token_are_refused(client, organization):
    assert_scim_error(ScimClient(client, None).get("Users"), 401)
    assert ScimClient(client, None).get("Users")["WWW-Authenticate"] == "Bearer"
    assert_scim_error(ScimClient(client, "moshi_wrong").get("Users"), 401)
    hr_token, hr_key = api_token_create(organization=organization, name="HR")
    assert hr_token.scopes == ["hr_read"]
    refused = ScimClient(client, hr_key).post("Users", new_user())
    assert_scim_error(refused, 403)
    assert "scim" in refused.json()["detail"] and not Membership.objects.exists()
    token, key = api_token_create(organization=organization, name="IdP", scopes=["scim"])
    assert ScimClient(client, key).get("Users").status_code == 200
    api_token_revoke(token=token)
    assert_scim_error(ScimClient(client, key).get("Users"), 401)
    # A session is not a token: a signed-in org admin's browser gets nothing either.
    client.force_login(MembershipFactory(organization=organization, role="org_admin").user)
    assert_scim_error(client.get("/scim/v2/Users"), 401)


def test_tokens_made_before_scopes_read_the_hr_api_only(client, organization):
    token, key = api_token_create(organization=organization, name="old")
    ApiToken.objects.filter(pk=token.pk).update(scopes=["hr_read"])  # what the migration gives existing tokens
    assert client.get("/api/v1/organization", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    _, scim_only = api_token_create(organization=organization, name="idp", scopes=["scim"])
    forbidden = client.get("/api/v1/organization", HTTP_AUTHORIZATION=f"Bearer {scim_only}")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "permission_denied"
    _, both = api_token_create(organization=organization, name="both", scopes=["scim", "hr_read"])
    assert client.get("/api/v1/organization", HTTP_AUTHORIZATION=f"Bearer {both}").status_code == 200
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {both}").status_code == 200


def test_another_organizations_users_and_groups_are_404_and_never_listed(scim, other_scim, other_organization):
    theirs = MembershipFactory(organization=other_organization)
    their_group = theirs.department
    ours = scim.post("Users", new_user()).json()
    assert scim.get("Users").json()["totalResults"] == 1
    for path in (f"Users/{theirs.pk}", f"Groups/{their_group.pk}"):
        assert_scim_error(scim.get(path), 404)
        assert_scim_error(scim.put(path, new_user() | {"displayName": "x"}), 404)
        assert_scim_error(
            scim.patch(path, {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}),
            404,
        )
        assert_scim_error(scim.delete(path), 404)
    theirs.refresh_from_db()
    assert theirs.is_active and their_group.name == type(their_group).objects.get(pk=their_group.pk).name
    assert_scim_error(other_scim.get(f"Users/{ours['id']}"), 404)
    assert scim.get("Users", filter=f'userName eq "{theirs.user.email}"').json()["totalResults"] == 0
    # Their member cannot be put into our group.
    group = scim.post("Groups", {"displayName": "営業部", "members": []}).json()
    add = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": str(theirs.pk)}]}],
    }
    assert_scim_error(scim.patch(f"Groups/{group['id']}", add), 400, "invalidValue")
    theirs.refresh_from_db()
    assert theirs.department == their_group


def test_a_member_of_another_organization_joins_without_that_membership_showing(scim, other_organization, organization):
    elsewhere = MembershipFactory(organization=other_organization, user__email="ken@corp.jp")
    created = scim.post("Users", new_user("Ken@Corp.jp", displayName="別名にしたい"))
    assert created.status_code == 201
    body = created.json()
    assert body["groups"] == [] and other_organization.name not in created.content.decode()
    assert str(elsewhere.department.name) not in created.content.decode()
    member = Membership.objects.get(pk=body["id"])
    assert member.user_id == elsewhere.user_id and member.organization == organization
    elsewhere.refresh_from_db()
    assert elsewhere.is_active and elsewhere.department is not None
    # The person made this account: the provider may not rename it or change its address.
    assert scim.put(f"Users/{body['id']}", new_user("Ken@Corp.jp", displayName="別名")).status_code == 200
    member.user.refresh_from_db()
    assert member.user.display_name != "別名"
    moved = scim.put(f"Users/{body['id']}", new_user("ken2@corp.jp"))
    assert_scim_error(moved, 400, "mutability")
    member.user.refresh_from_db()
    assert member.user.email == "ken@corp.jp"


def test_delete_deactivates_keeps_attempts_and_hides_the_user_from_scim(scim, organization):
    body = scim.post("Users", new_user(**{"name": {"familyName": "佐藤", "givenName": "花子"}})).json()
    member = Membership.objects.select_related("user").get(pk=body["id"])
    attempts = Attempt.objects.count()
    assert scim.delete(f"Users/{body['id']}").status_code == 204
    member.refresh_from_db()
    assert not member.is_active and member.left_at is not None and membership_for(user=member.user) is None
    assert Attempt.objects.count() == attempts and Membership.objects.filter(pk=member.pk).exists()
    assert_scim_error(scim.get(f"Users/{body['id']}"), 404)
    assert scim.get("Users", filter='userName eq "hanako@corp.jp"').json()["totalResults"] == 0
    # Provisioned again later: the same account and membership come back.
    again = scim.post("Users", new_user())
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    member.refresh_from_db()
    assert member.is_active and member.left_at is None and ScimUser.objects.get(pk=member.pk).deleted_at is None


def test_odd_input_gets_scim_errors(scim):
    assert_scim_error(scim.post("Users", "{not json"), 400, "invalidSyntax")
    assert_scim_error(scim.post("Users", ["a"]), 400, "invalidSyntax")
    assert_scim_error(scim.post("Users", {"userName": ""}), 400, "invalidValue")
    assert_scim_error(scim.post("Users", new_user("not-an-address")), 400, "invalidValue")
    assert_scim_error(scim.post("Users", new_user(active="maybe")), 400, "invalidValue")
    assert_scim_error(scim.post("Users", new_user(userName="x" * 300)), 400, "invalidValue")
    assert_scim_error(scim.post("Users", new_user(), content_type="text/plain"), 415)
    assert scim.post("Users", new_user(), content_type="application/json").status_code == 201  # both types accepted
    assert_scim_error(scim.get("Users", filter='userName co "a"'), 400, "invalidFilter")
    assert_scim_error(scim.get("Users", filter='userName eq "a" or 1 eq 1'), 400, "invalidFilter")
    assert_scim_error(scim.get("Users", filter='password eq "x"'), 400, "invalidFilter")
    assert_scim_error(scim.get("Users", filter='userName eq "' + "a" * 2000 + '"'), 400, "invalidFilter")
    assert_scim_error(scim.get("Users", count="many"), 400, "invalidValue")
    assert_scim_error(scim.get("Users/abc"), 404)
    assert_scim_error(scim.get("Users/99999999999999999999999"), 404)
    assert_scim_error(scim.get("Bulk"), 404)
    user_id = scim.get("Users").json()["Resources"][0]["id"]
    for operations in (
        [{"op": "move", "path": "active"}],
        [{"op": "remove"}],
        "x",
        [{"op": "replace", "path": "a[[", "value": 1}],
    ):
        response = scim.patch(f"Users/{user_id}", {"schemas": [PATCH_OP], "Operations": operations})
        assert response.status_code == 400 and response.json()["schemas"] == [ERROR]
    taken = scim.post(
        "Users",
        new_user(
            "other@corp.jp", **{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E1"}}
        ),
    )
    assert taken.status_code == 201
    duplicate_code = scim.post(
        "Users",
        new_user(
            "third@corp.jp", **{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E1"}}
        ),
    )
    assert_scim_error(duplicate_code, 409, "uniqueness")


def test_pages_are_cut_to_the_maximum_and_counted(scim, organization):
    for n in range(5):
        scim.post("Users", new_user(f"p{n}@corp.jp"))
    huge = scim.get("Users", count=10**12).json()
    assert huge["totalResults"] == 5 and huge["itemsPerPage"] == 5
    page = scim.get("Users", startIndex=2, count=2).json()
    assert (page["startIndex"], page["itemsPerPage"], page["totalResults"]) == (2, 2, 5)
    assert [r["userName"] for r in page["Resources"]] == ["p1@corp.jp", "p2@corp.jp"]
    assert scim.get("Users", startIndex=-5, count=-1).json() | {"Resources": []} == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 5,
        "itemsPerPage": 0,
        "startIndex": 1,
        "Resources": [],
    }


def test_list_queries_do_not_grow_with_users_or_groups(scim, organization, django_assert_max_num_queries):
    def fill(n):
        department = DepartmentFactory(organization=organization)
        for _ in range(n):
            MembershipFactory(organization=organization, department=department)

    fill(2)
    scim.get("Users")  # the token's last_used_at is written once a minute, not on every request
    with django_assert_max_num_queries(3):  # token, count, members with user+department+scim
        scim.get("Users")
    with django_assert_max_num_queries(4):  # token, count, departments, their members
        scim.get("Groups")
    fill(20)
    with django_assert_max_num_queries(3):
        users = scim.get("Users").json()
    with django_assert_max_num_queries(4):
        groups = scim.get("Groups").json()
    assert users["totalResults"] == 22 and groups["totalResults"] == 2
    assert sum(len(g["members"]) for g in groups["Resources"]) == 22


def test_the_service_describes_itself(scim):
    config = scim.get("ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    types = scim.get("ResourceTypes").json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    assert scim.get("ResourceTypes/User").json()["schemaExtensions"][0]["schema"].endswith("enterprise:2.0:User")
    schemas = scim.get("Schemas").json()
    assert schemas["totalResults"] == 3
    user_schema = scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()
    assert "userName" in {a["name"] for a in user_schema["attributes"]}
    assert_scim_error(scim.get("Schemas/urn:nope"), 404)


def test_deleting_a_group_keeps_a_department_that_holds_history_out_of_scims_sight(scim, organization):
    leaver = scim.post("Users", new_user("leaver@corp.jp")).json()
    stayer = scim.post("Users", new_user("stayer@corp.jp")).json()
    group = scim.post(
        "Groups", {"displayName": "旧部署", "members": [{"value": leaver["id"]}, {"value": stayer["id"]}]}
    )
    group_id = group.json()["id"]
    scim.patch(
        f"Users/{leaver['id']}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]},
    )

    assert scim.delete(f"Groups/{group_id}").status_code == 204
    assert_scim_error(scim.get(f"Groups/{group_id}"), 404)
    assert scim.get("Groups").json()["totalResults"] == 0
    assert Membership.objects.get(pk=leaver["id"]).department_id == int(group_id)  # history stays filed there
    assert Membership.objects.get(pk=stayer["id"]).department is None
    # The provider creating the group again brings the department back.
    again = scim.post("Groups", {"displayName": "旧部署", "members": []})
    assert again.status_code == 201 and again.json()["id"] == group_id
    assert_scim_error(scim.post("Groups", {"displayName": "旧部署"}), 409, "uniqueness")
