"""Real results are recorded for a session picked from a list (issue 17, item 15): the sessions of each exam as
admins keep them, seeded for G検定 (six a year) and E資格 (February and August); the server refuses a session the
list does not hold, in Japanese, and keeps what was typed."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from hr.models import ExamSession, RealResult
from hr.services import exam_sessions_seed
from questions.models import Exam
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(organization):
    return MembershipFactory(organization=organization)


@pytest.fixture
def on_3_december_2026(monkeypatch):
    """Which seeded sessions have been held depends on the day: these tests run on 3 December 2026."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 12, 3))


def labels(exam_code: str) -> list[str]:
    return list(ExamSession.objects.filter(exam__code=exam_code).values_list("label", flat=True))


def test_the_sessions_of_the_last_two_years_and_the_next_are_seeded():
    assert sorted(labels("g_kentei")) == sorted(f"{y}#{n}" for y in (2025, 2026, 2027) for n in range(1, 7))
    assert sorted(labels("e_shikaku")) == sorted(f"{y}#{n}" for y in (2025, 2026, 2027) for n in (1, 2))
    e_months = {s.held_on.month for s in ExamSession.objects.filter(exam__code="e_shikaku")}
    assert e_months == {2, 8}
    g_2026 = ExamSession.objects.filter(exam__code="g_kentei", label__startswith="2026#").order_by("held_on")
    assert [s.held_on.month for s in g_2026] == [1, 3, 5, 7, 9, 11]


def test_seeding_again_leaves_the_admins_list_alone():
    g = Exam.objects.get(code="g_kentei")
    ExamSession.objects.filter(exam=g, label="2027#6").delete()
    ExamSession.objects.filter(exam=g, label="2026#3").update(held_on=date(2026, 5, 10))
    assert exam_sessions_seed() == 0
    assert "2027#6" not in labels("g_kentei")
    assert ExamSession.objects.get(exam=g, label="2026#3").held_on == date(2026, 5, 10)


def test_the_form_offers_held_sessions_grouped_by_exam(client, member, on_3_december_2026):
    client.force_login(member.user)
    html = client.get(reverse("hr:real_results")).content.decode()
    select = html.split('<select name="session"')[1].split("</select>")[0]
    assert '<optgroup label="G検定">' in select and '<optgroup label="E資格">' in select
    g_group = select.split('<optgroup label="G検定">')[1].split("</optgroup>")[0]
    assert '<option value="2026#6">' in g_group and '<option value="2025#1">' in g_group
    assert "2027#" not in select  # not held yet


def test_an_unknown_session_is_refused_in_japanese_and_nothing_is_recorded(client, member, on_3_december_2026):
    client.force_login(member.user)
    e_shikaku = Exam.objects.get(code="e_shikaku")
    form = {"exam": e_shikaku.pk, "session": "2026#5", "taken_on": "2026-05-09", "passed": "on"}  # a G検定 label
    response = client.post(reverse("hr:real_results"), form)
    html = response.content.decode()
    assert response.status_code == 200
    assert "E資格 の「2026#5」という回は、実施済みの回として登録されていません。" in html
    assert 'id="id_session-errors"' in html  # next to the field
    assert 'value="2026-05-09"' in html  # what was typed is kept
    assert not RealResult.objects.exists()

    form["session"] = "2026#1"
    assert client.post(reverse("hr:real_results"), form).status_code == 302
    assert RealResult.objects.get().session == "2026#1"


def test_a_session_not_yet_held_is_refused(client, member, on_3_december_2026):
    g = Exam.objects.get(code="g_kentei")
    client.force_login(member.user)
    form = {"exam": g.pk, "session": "2027#1", "taken_on": "2026-12-01", "passed": "on"}
    assert "実施済みの回として登録されていません" in client.post(reverse("hr:real_results"), form).content.decode()
    assert not RealResult.objects.exists()
