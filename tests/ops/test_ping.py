"""/ping: the authenticated floor the load test compares autosave with."""

import pytest

pytestmark = pytest.mark.django_db


def test_ping_answers_a_logged_in_user_with_json(client, candidate, django_assert_max_num_queries):
    client.force_login(candidate)
    with django_assert_max_num_queries(2):  # session, user
        response = client.get("/ping")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert "no-store" in response["Cache-Control"]


def test_ping_refuses_an_anonymous_request_without_a_redirect(client):
    response = client.get("/ping")
    assert response.status_code == 401
