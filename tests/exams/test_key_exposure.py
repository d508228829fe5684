"""The key exposure policy, attacked the way a cheating candidate would (security review, issue 1/8): a
question's key, 解説 and right/wrong mark reach a person only after they have submitted an attempt with it,
never while any open attempt of theirs holds the same question (whatever its version), and, when their
organization holds the keys of an assigned mock, not before the assignment's due date."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt, Blueprint, BlueprintQuota, KeyHold
from exams.selectors import withheld_keys
from exams.services import answer_save, attempt_score
from hr.services import assignment_create, assignment_delete
from questions.models import Exam, SyllabusArea
from questions.services import question_publish
from tests.factories import DepartmentFactory, MembershipFactory, key_positions, make_question

pytestmark = pytest.mark.django_db

BANK = 12


@pytest.fixture
def bank():
    return [
        make_question(
            external_id=f"kx-{i}",
            area="G4.2",
            stem=f"設問{i}。最も適切なものを1つ選べ。",
            choices=[(f"甲{i}", True), (f"乙{i}", False), (f"丙{i}", False), (f"丁{i}", False)],
            explanation=f"ヒミツの解説{i}番",
        )
        for i in range(BANK)
    ]


@pytest.fixture
def mock(bank):
    bp = Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name="模試", slug="mock", minutes=30, question_count=6
    )
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G4"), count=6)
    return bp


@pytest.fixture
def drill(bank):
    return Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name="ドリル", slug="drill", minutes=0, question_count=0, is_drill=True
    )


def questions_of(attempt) -> set[int]:
    return set(attempt.items.values_list("version__question_id", flat=True))


def start(client, blueprint, **data) -> Attempt:
    response = client.post(reverse("exams:start", args=[blueprint.slug]), data)
    assert response.status_code == 200, response.content.decode()[:300]  # the exam page, at the attempt's address
    return Attempt.objects.get(pk=int(response["Content-Location"].rstrip("/").rsplit("/", 1)[1]))


def submit_and_score(client, attempt) -> None:
    client.post(reverse("exams:attempt_submit", args=[attempt.pk]))
    attempt_score(attempt_id=attempt.pk)


def test_a_drill_never_draws_a_question_of_an_open_mock_so_its_score_is_no_oracle(client, candidate, mock, drill):
    client.force_login(candidate)
    exam = start(client, mock)
    practice = start(client, drill, areas=["G4.2"], count=6)
    assert questions_of(exam).isdisjoint(questions_of(practice))


def test_a_mock_never_draws_a_question_of_an_open_drill(client, candidate, mock, drill):
    client.force_login(candidate)
    practice = start(client, drill, areas=["G4.2"], count=6)
    exam = start(client, mock)
    assert questions_of(exam).isdisjoint(questions_of(practice))


def test_keys_are_withheld_by_question_not_by_version(client, candidate, mock, bank):
    """A typo fix published while a mock is open made the question's key visible in an older result."""
    client.force_login(candidate)
    old = start(client, mock)
    submit_and_score(client, old)
    # A new version of every question the old attempt showed (a typo fix), then a new mock with them.
    for question in bank:
        question.stem += "（表記を修正）"
        question.save()
        question_publish(question=question, by=None, via="command")
    # A longer form than the bank's unseen questions can fill: it draws some of the old ones again.
    longer = Blueprint.objects.create(exam=mock.exam, name="長い模試", slug="longer", minutes=30, question_count=10)
    BlueprintQuota.objects.create(blueprint=longer, area=SyllabusArea.objects.get(code="G4"), count=10)
    exam = start(client, longer)
    shared = questions_of(old) & questions_of(exam)
    assert len(shared) == 4  # unseen first: the 6 never met, then 4 of the old ones, in another version
    page = client.get(reverse("analytics:attempt_result", args=[old.pk])).content.decode()
    for question in bank:
        if question.pk in shared:
            assert f"ヒミツの解説{question.external_id[3:]}番" not in page
    assert page.count("受験中の模擬試験にも出題されているため") == len(shared)


@pytest.fixture
def held_assignment(organization, hr_manager, mock):
    """HR assigns the mock to a department, holding its keys until the due date in a week."""
    return assignment_create(
        organization=organization,
        blueprint=mock,
        due_on=timezone.localdate() + timedelta(days=7),
        opens_on=timezone.localdate() - timedelta(days=1),
        departments=[DepartmentFactory(organization=organization)],
        hold_keys=True,
        by=hr_manager,
    )


def test_an_organization_can_hold_keys_of_its_assigned_mock_until_the_due_date(
    client, organization, held_assignment, mock, drill, bank
):
    member = MembershipFactory(organization=organization).user
    client.force_login(member)
    attempt = start(client, mock)
    for item in attempt.items.order_by("position"):
        answer_save(
            user=member,
            attempt_id=attempt.pk,
            position=item.position,
            selected=key_positions(item),
            flagged=False,
            seq=1,
        )
    submit_and_score(client, attempt)
    page = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    assert "6 / 6" in page or "100" in page  # the score is shown
    assert not any(f"ヒミツの解説{i}番" in page for i in range(BANK))  # 解説 held
    assert "（正解）" not in page  # no key
    assert 'class="mark ' not in page and "grid-cell right" not in page and "grid-cell wrong" not in page  # no marks
    assert set(re.findall(r'data-result="(\w+)"', page)) == {"withheld"}  # for no question
    assert timezone.localtime(held_assignment.due_at).strftime("%Y年%-m月%-d日") in page  # says when

    # A drill before the due date does not draw the held questions either (its result would show them).
    practice = start(client, drill, areas=["G4.2"], count=6)
    assert questions_of(practice).isdisjoint(questions_of(attempt))

    # After the due date everything is released.
    KeyHold.objects.filter(pk=held_assignment.key_hold_id).update(releases_at=timezone.now() - timedelta(seconds=1))
    client.post(reverse("exams:attempt_submit", args=[practice.pk]))
    page = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    assert all(f"ヒミツの解説{q.external_id[3:]}番" in page for q in bank if q.pk in questions_of(attempt))


def test_without_a_hold_the_keys_show_after_submit(client, organization, held_assignment, mock):
    assignment_delete(assignment=held_assignment, by=held_assignment.created_by)  # and with it, its hold
    assert not KeyHold.objects.exists()
    member = MembershipFactory(organization=organization).user
    client.force_login(member)
    attempt = start(client, mock)
    submit_and_score(client, attempt)
    page = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    assert sum(f"ヒミツの解説{i}番" in page for i in range(BANK)) == 6


def test_another_organizations_hold_does_not_touch_an_outsider(client, candidate, held_assignment, mock):
    """An individual candidate taking the same public mock is not held by a company's setting."""
    client.force_login(candidate)
    attempt = start(client, mock)
    submit_and_score(client, attempt)
    page = client.get(reverse("analytics:attempt_result", args=[attempt.pk])).content.decode()
    assert sum(f"ヒミツの解説{i}番" in page for i in range(BANK)) == 6


def test_a_hold_covers_attempts_started_once_it_opened_by_active_members_the_latest_release_wins(
    client, organization, held_assignment, mock, django_assert_max_num_queries
):
    membership = MembershipFactory(organization=organization)
    member = membership.user
    client.force_login(member)
    attempt = start(client, mock)
    submit_and_score(client, attempt)
    hold = KeyHold.objects.get(pk=held_assignment.key_hold_id)
    later = KeyHold.objects.create(
        organization=organization, blueprint=mock, opens_at=hold.opens_at, releases_at=hold.releases_at + timedelta(1)
    )
    with django_assert_max_num_queries(3):
        withheld = withheld_keys(user_id=member.pk)
    assert set(withheld) == questions_of(attempt) and set(withheld.values()) == {later.releases_at}

    # Started before the hold opened: not held (the hold is for the assignment's own period).
    KeyHold.objects.update(opens_at=attempt.started_at + timedelta(seconds=1))
    assert withheld_keys(user_id=member.pk) == {}
    KeyHold.objects.update(opens_at=attempt.started_at)
    assert len(withheld_keys(user_id=member.pk)) == len(questions_of(attempt))
    # Someone who has left the organization is not held by its settings any more.
    type(membership).objects.filter(pk=membership.pk).update(is_active=False)
    assert withheld_keys(user_id=member.pk) == {}
