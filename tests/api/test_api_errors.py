"""Every API validation error says, in one language, what is wrong and which values would work (issue 17,
item 14): group_by, exam, level, passed and session list their allowed values instead of DRF's "この値は所要の
パターンにマッチしません。", and a value the API used to ignore (passed=maybe, exam=nope) is refused."""

import pytest
from django.urls import reverse
from django.utils import translation

from tests.api.test_api_hr import bearer, get

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in English leaves English active in this thread (LocaleMiddleware activates a language per
    request and never resets it): later tests expect Japanese."""
    yield
    translation.deactivate()


EXAMS = ("g_kentei", "e_shikaku", "genai_test")

# (endpoint, query, field, what the message must name)
LISTED = [
    ("pass_rates", {"group_by": "dept"}, "group_by", ("dept", "department", "blueprint", "month")),
    ("pass_rates", {"group_by": "department,week"}, "group_by", ("department", "blueprint", "month")),
    ("pass_rates", {"exam": "g"}, "exam", EXAMS),
    ("weaknesses", {}, "exam", EXAMS),
    ("weaknesses", {"exam": "g_kentei", "level": "mid"}, "level", ("mid", "top", "leaf")),
    ("expected_passes", {"exam": "G検定"}, "exam", EXAMS),
    ("attempts", {"passed": "maybe"}, "passed", ("maybe", "true", "false")),
    ("real_results", {"passed": "yes please"}, "passed", ("true", "false")),
    ("real_results", {"exam": "nope"}, "exam", ("nope", *EXAMS)),
    ("real_results", {"session": "第6回"}, "session", ("第6回", "2025#6")),
    ("pass_rates", {"since": "2025-13"}, "since", ("YYYY-MM",)),
    ("attempts", {"started_from": "yesterday"}, "started_from", ("ISO 8601",)),
    ("pass_rates", {"blueprint": "G 検定"}, "blueprint", ("g-kentei-online",)),
]


def get_in(client, key, language, name, **query):
    return client.get(reverse(f"api:{name}"), query, HTTP_ACCEPT_LANGUAGE=language, **bearer(key))


def error_of(response, field):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()["error"]
    assert (body["status"], body["code"]) == (400, "invalid")
    [message] = body["fields"][field]
    assert body["message"] == f"{field}: {message}"
    return message


@pytest.mark.parametrize(("name", "query", "field", "named"), LISTED)
def test_a_400_names_the_wrong_value_and_the_allowed_ones_in_one_language(client, keys, name, query, field, named):
    key, _ = keys
    for language in ("ja", "en"):  # the values are listed whatever the language
        message = error_of(get_in(client, key, language, name, **query), field)
        for value in named:
            assert value in message, (language, value, message)
    japanese = error_of(get_in(client, key, "ja", name, **query), field)
    assert "使えるもの" in japanese or "指定してください" in japanese, japanese
    for english in ("valid", "required", "pattern", "Enter", "is not"):  # DRF's and Django's English
        assert english not in japanese, japanese


def test_department_and_member_ids_say_what_an_id_is(client, keys):
    key, _ = keys
    department = error_of(get(client, key, "pass_rates", department="x"), "department")
    assert "0 以上の整数" in department and "部署なし" in department
    assert "0 以上の整数" in error_of(get(client, key, "attempts", member="-3"), "member")


def test_a_long_wrong_value_is_not_echoed_whole(client, keys):
    key, _ = keys
    message = error_of(get(client, key, "pass_rates", group_by="a" * 5000), "group_by")
    assert len(message) < 200 and "department" in message


def test_valid_values_and_empty_filters_still_work(client, keys):
    key, _ = keys
    assert get(client, key, "pass_rates", group_by="department,month", exam="e_shikaku").status_code == 200
    assert get(client, key, "real_results", passed="true", exam="g_kentei", session="2025#6").status_code == 200
    assert get(client, key, "real_results", passed="", exam="").status_code == 200  # empty: no filter
    assert get(client, key, "attempts", passed="false").status_code == 200


def test_a_wrong_boolean_no_longer_returns_everyone(client, keys):
    key, _ = keys
    assert get(client, key, "attempts", passed="ture").status_code == 400
    passed = get(client, key, "real_results", passed="true").json()["results"]
    assert passed and all(r["passed"] for r in passed)


def test_an_unknown_api_path_answers_in_the_requests_language_not_in_english(client, keys):
    key, _ = keys
    response = client.get("/api/v1/nope", HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="ja")
    body = response.json()["error"]
    assert (response.status_code, body["code"]) == (404, "not_found")
    assert body["message"] != "Not found." and "/api/docs/" in body["message"]


def test_the_unknown_parameter_message_is_english_under_accept_language_en(client, keys):
    key, _ = keys
    body = get_in(client, key, "en", "members", departmnet="3").json()["error"]
    assert body["message"].startswith("Unknown parameter: departmnet. Allowed: ")
