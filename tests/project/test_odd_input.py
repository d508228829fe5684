"""Odd values sent to every form and JSON endpoint (property-based, hypothesis): never a 5xx, and nothing an
attempt holds is corrupted. Found by an outside review: autosave with seq ≥ 2^63, a body of 100,000 nested
'[', `revoke=abc` or `1e3` on the API token page, `?number=²` on the key-correction page (issue 1/8)."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exams.models import Attempt, AttemptItem, Blueprint, BlueprintQuota
from exams.services import attempt_start
from organizations.models import Membership
from questions.models import Exam, SyllabusArea
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory, make_question

pytestmark = pytest.mark.django_db

ODD = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1",
            "²",
            "１２",
            "١٢",
            "1e3",
            "0x10",
            "1_000",
            " 7 ",
            "1.5",
            "NaN",
            "inf",
            "9" * 30,
            str(2**63),
            str(-(2**63) - 1),
            "\x00",
            "abc",
            "🎌",
            "=cmd|' /C calc'!A0",
            "＝1+1",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "a" * 5000,
            "2026-13-45",
            "2026#99",
            "null",
            "[]",
            "{}",
        ]
    ),
    st.text(max_size=40),
    st.integers().map(str),
)
JSON_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=5),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**30, [2**70], [1, 1, 1], [-1], [True]]),
)
FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture
def world(organization):
    for i in range(8):
        make_question(
            external_id=f"odd-{i}",
            area="G4.2",
            choices=[(f"正{i}", True), (f"誤{i}a", False), (f"誤{i}b", False), (f"誤{i}c", False)],
        )
    blueprint = Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name="odd", slug="odd", minutes=30, question_count=4
    )
    BlueprintQuota.objects.create(blueprint=blueprint, area=SyllabusArea.objects.get(code="G4"), count=4)
    Blueprint.objects.create(
        exam=blueprint.exam, name="drill", slug="odd-drill", minutes=0, question_count=0, is_drill=True
    )
    admin = MembershipFactory(organization=organization, role=Membership.Role.ORG_ADMIN).user
    member = MembershipFactory(organization=organization, department=DepartmentFactory(organization=organization))
    attempt = attempt_start(user=member.user, blueprint=blueprint)
    reviewer = UserFactory(is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Question reviewers"))
    return {"admin": admin, "member": member, "attempt": attempt, "blueprint": blueprint, "reviewer": reviewer}


def no_server_error(response):
    assert response.status_code < 500, (response.status_code, response.content[:300])


# (who, method, url, fields): each field gets an odd value, or is left out.
def targets(world):
    attempt = world["attempt"]
    return [
        ("admin", "post", reverse("api_tokens"), ["revoke", "name"]),
        (
            "admin",
            "post",
            reverse("org_members"),
            ["cancel", "email", "display_name", "department", "role", "employee_code"],
        ),
        ("admin", "get", reverse("org_members"), ["q", "department", "status", "page"]),
        ("admin", "post", reverse("org_departments"), ["delete", "rename", "name"]),
        (
            "admin",
            "post",
            reverse("org_member", args=[world["member"].pk]),
            ["active", "role", "department", "employee_code"],
        ),
        (
            "admin",
            "post",
            reverse("hr:assignments"),
            ["delete", "blueprint", "due_on", "opens_on", "departments", "people", "note", "hold_keys"],
        ),
        ("admin", "get", reverse("hr:real_results"), ["member"]),
        (
            "admin",
            "post",
            reverse("hr:real_results") + f"?member={world['member'].pk}",
            ["delete", "exam", "session", "taken_on", "passed"],
        ),
        (
            "admin",
            "get",
            reverse("hr:org_dashboard"),
            ["exam", "months", "department", "q", "readiness", "sort", "page"],
        ),
        (
            "admin",
            "get",
            reverse("hr:org_dashboard_csv", args=["members"]),
            ["exam", "department", "q", "readiness", "sort"],
        ),
        ("member", "post", reverse("exams:start", args=["odd-drill"]), ["framework", "areas", "count"]),
        ("member", "post", reverse("exams:attempt_submit", args=[attempt.pk]), ["by"]),
        ("member", "get", reverse("analytics:history"), ["blueprint"]),
        ("member", "get", reverse("analytics:attempt_result", args=[attempt.pk]), ["wait"]),
        ("reviewer", "get", reverse("admin:exams_keycorrection_add"), ["question", "number"]),
        (None, "post", reverse("signup"), ["email", "display_name", "preferred_language", "password1", "password2"]),
        (None, "post", reverse("login"), ["username", "password"]),
    ]


@pytest.mark.parametrize("index", range(17))
def test_forms_answer_odd_values_without_a_server_error(client, world, index):
    who, method, url, fields = targets(world)[index]

    @FAST
    @given(st.dictionaries(st.sampled_from(fields), ODD, min_size=1))
    def attack(values):
        client.logout()
        if who:
            client.force_login(world[who] if who != "member" else world["member"].user)
        no_server_error(getattr(client, method)(url, values))

    attack()


def save(client, attempt, body: bytes):
    return client.post(reverse("exams:attempt_save", args=[attempt.pk]), body, content_type="application/json")


@FAST
@given(st.dictionaries(st.sampled_from(["position", "selected", "flagged", "seq"]), JSON_ODD))
@example({"position": 1, "selected": [0], "flagged": False, "seq": 2**63})
@example({"position": 1, "selected": [0], "flagged": False, "seq": 2**64})
@example({"position": 2**63, "selected": [0], "flagged": False, "seq": 1})
@example({"position": 1, "selected": [2**70], "flagged": False, "seq": 1})
def test_autosave_answers_odd_json_with_a_clear_refusal_and_keeps_the_answer(client, world, body):
    attempt = world["attempt"]
    client.force_login(world["member"].user)
    assert save(client, attempt, json.dumps({"position": 1, "selected": [1], "seq": 1}).encode()).status_code == 200
    response = save(client, attempt, json.dumps(body).encode())
    no_server_error(response)
    item = AttemptItem.objects.get(attempt=attempt, position=1)
    if response.status_code != 200 or not response.json().get("saved"):
        assert item.selected == [1]  # a refused or stale save changed nothing
    AttemptItem.objects.filter(pk=item.pk).update(selected=[], client_seq=0)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b"{" * 50_000,
        b'{"position": 1, "selected": ' + b"[" * 5000 + b"]" * 5000 + b', "seq": 1}',
        b"\xff\xfe",
        b"",
        b"null",
        b'"text"',
        b"x" * 200_000,
    ],
)
def test_autosave_refuses_deep_huge_or_non_object_bodies(client, world, body):
    client.force_login(world["member"].user)
    response = save(client, world["attempt"], body)
    assert response.status_code == 400
    assert "error" in response.json()


def test_submitting_by_timer_is_the_servers_decision(client, world):
    """A candidate cannot record a submit as 'by timer' while time remains (issue 1/8 item 10)."""
    attempt = world["attempt"]
    client.force_login(world["member"].user)
    client.post(reverse("exams:attempt_submit", args=[attempt.pk]), {"by": "timer"})
    attempt.refresh_from_db()
    assert (attempt.status, attempt.submitted_by) == (Attempt.Status.SUBMITTED, Attempt.SubmittedBy.CANDIDATE)


def test_a_submit_after_the_deadline_is_recorded_as_the_timers(client, world):
    attempt = world["attempt"]
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    client.force_login(world["member"].user)
    client.post(reverse("exams:attempt_submit", args=[attempt.pk]))
    attempt.refresh_from_db()
    assert attempt.submitted_by == Attempt.SubmittedBy.TIMER
