"""A typo in a filter must not silently return the whole organization (issue 1/8 item 10): unknown
parameters, ids of no member or department of this organization, and out-of-range values answer 400 in the
API's error format, naming what is allowed."""

import pytest

from tests.api.test_api_hr import get

pytestmark = pytest.mark.django_db

LISTS = ["attempts", "real_results", "members", "departments", "assignments", "pass_rates", "weaknesses"]


def error(response):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()["error"]
    assert body["status"] == 400 and body["code"] == "invalid"
    return body


@pytest.mark.parametrize("name", LISTS)
def test_an_unknown_parameter_is_refused_with_the_allowed_ones(client, keys, name):
    key, _ = keys
    params = {"exam": "g_kentei"} if name == "weaknesses" else {}
    body = error(get(client, key, name, departmnet="3", **params))
    assert "departmnet" in body["message"]
    assert "page_size" in body["message"] or "group_by" in body["message"] or "level" in body["message"]


@pytest.mark.parametrize("name", ["attempts", "real_results"])
@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "１２", "99999999999999999999"])
def test_a_malformed_member_is_refused(client, keys, name, value):
    key, _ = keys
    assert "member" in error(get(client, key, name, member=value)).get("fields", {})


@pytest.mark.parametrize("name", ["attempts", "real_results"])
def test_a_member_of_no_member_here_is_refused_not_an_empty_list(client, keys, hr_world, name):
    key, _ = keys
    error(get(client, key, name, member=hr_world.o1.pk))  # another organization's member
    error(get(client, key, name, member=10**12))
    assert get(client, key, name, member=hr_world.s1.pk).status_code == 200


@pytest.mark.parametrize("name", ["attempts", "pass_rates", "weaknesses"])
def test_a_department_of_another_organization_is_refused(client, keys, hr_world, name):
    key, _ = keys
    params = {"exam": "g_kentei"} if name == "weaknesses" else {}
    error(get(client, key, name, department=hr_world.beta_sales.pk, **params))
    assert get(client, key, name, department=hr_world.sales.pk, **params).status_code == 200
    assert get(client, key, name, department=0, **params).status_code == 200  # 0: members with no department


def test_the_schema_documents_the_refusal(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "400" in schema["paths"]["/api/v1/attempts"]["get"]["responses"]
