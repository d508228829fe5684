"""A person's own data (download, deletion) and an organization's removal of a member's personal data."""

import json
import random

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from analytics.models import AreaNorm, BlueprintNorm, ItemStat
from analytics.services import stats_rebuild
from audit.models import AuditEvent
from exams.models import Attempt, AttemptItem, QuestionNote
from exams.services import attempt_start, question_note_save
from hr import reports
from hr.aggregates import org_stats_rebuild
from hr.models import MemberExamStat, RealResult
from organizations.models import Invitation, Membership
from organizations.services import api_token_create
from study.models import StudyCard
from study.services import cards_refresh_all
from tests.factories import PASSWORD, MembershipFactory, key_positions
from tests.world import take

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


def csv_of(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


# --- Download -----------------------------------------------------------------------------------------------------


@pytest.fixture
def studied(cohort_blueprint, candidate):
    """A scored attempt, then an open one drawing mostly the same questions, a note and a study card."""
    scored = take(cohort_blueprint, user=candidate, right=4, rng=random.Random(3))
    opened = attempt_start(user=candidate, blueprint=cohort_blueprint)
    open_questions = set(opened.items.values_list("version__question_id", flat=True))
    free = next(i for i in scored.items.select_related("version") if i.version.question_id not in open_questions)
    question_note_save(user=candidate, question_id=free.version.question_id, bookmarked=True, text="ReLUは覚える")
    StudyCard.objects.create(user=candidate, question_id=free.version.question_id, due=timezone.now())
    return scored, opened, open_questions, free


def test_the_download_holds_the_persons_data(client, candidate, studied):
    scored, opened, _open_questions, free = studied
    client.force_login(candidate)
    response = client.get(reverse("privacy:export"))
    assert response["Content-Disposition"].startswith('attachment; filename="moshi-my-data-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["email"] == candidate.email
    assert [a["id"] for a in data["attempts"]] == [scored.pk, opened.pk]
    exported = data["attempts"][0]
    assert exported["status"] == "scored" and exported["correct_count"] == scored.correct_count
    assert len(exported["items"]) == scored.question_count and exported["areas"]
    assert data["notes"] == [
        {
            "question": free.version.question_id,
            "bookmarked": True,
            "text": "ReLUは覚える",
            "updated_at": data["notes"][0]["updated_at"],
        }
    ]
    assert [c["question"] for c in data["study_cards"]] == [free.version.question_id]


def test_the_download_holds_no_key_of_an_open_attempt(client, candidate, studied):
    scored, _opened, open_questions, free = studied
    client.force_login(candidate)
    data = json.loads(client.get(reverse("privacy:export")).content)
    scored_items, open_items = data["attempts"][0]["items"], data["attempts"][1]["items"]
    assert open_items and all("correct" not in i and "is_correct" not in i for i in open_items)
    # The submitted attempt's questions that the open one holds again are withheld there too (key exposure policy).
    for item in scored_items:
        assert ("correct" in item) == (item["question"] not in open_questions)
    shown = next(i for i in scored_items if i["question"] == free.version.question_id)
    assert shown["correct"] == key_positions(scored.items.get(position=shown["position"]))


def test_the_download_costs_the_same_queries_for_more_attempts(
    client, candidate, cohort_blueprint, django_assert_max_num_queries
):
    client.force_login(candidate)
    take(cohort_blueprint, user=candidate, right=3, rng=random.Random(1))
    # session, user, withheld keys (2), attempts, items, choices, area results, plan, memberships, real results,
    # notes, study answers, cards
    with django_assert_max_num_queries(14):
        client.get(reverse("privacy:export"))
    for right in (1, 5, 6):
        take(cohort_blueprint, user=candidate, right=right, rng=random.Random(right))
    with django_assert_max_num_queries(14):
        client.get(reverse("privacy:export"))


def test_only_the_person_downloads_their_data(client, candidate, other_candidate, studied):
    client.force_login(other_candidate)
    data = json.loads(client.get(reverse("privacy:export")).content)
    assert data["account"]["email"] == other_candidate.email and data["attempts"] == [] and data["notes"] == []
    client.logout()
    assert client.get(reverse("privacy:export")).status_code == 302


# --- Deleting one's account ----------------------------------------------------------------------------------------


def statistics(organization_id, exam_id):
    return {
        "items": sorted(ItemStat.objects.values_list("version_id", "responses", "correct")),
        "norms": sorted(BlueprintNorm.objects.values_list("blueprint_id", "count", "mean")),
        "areas": sorted(AreaNorm.objects.values_list("blueprint_id", "area_id", "correct", "total")),
        "members": sorted(MemberExamStat.objects.values_list("user_id", "attempts", "best_score")),
        "departments": reports.by_department(organization_id=organization_id, exam_id=exam_id),
    }


def rebuild():
    later = timezone.now() + timezone.timedelta(minutes=5)
    stats_rebuild(now=later)
    org_stats_rebuild(now=later)


def test_deleting_an_account_removes_personal_data_and_keeps_every_figure(client, hr_world, organization):
    person = hr_world.s2.user
    old_email = person.email
    rebuild()
    before = statistics(organization.pk, hr_world.exam.pk)
    attempts = Attempt.objects.filter(user=person).count()
    answers = AttemptItem.objects.filter(attempt__user=person).count()
    assert attempts and answers
    client.force_login(person)

    response = client.post(reverse("privacy:account_delete"), {"password": PASSWORD, "understood": "on"})

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.deleted_at is not None and not person.is_active and not person.has_usable_password()
    assert person.display_name == "" and person.email.endswith("@anonymized.invalid")
    assert not User.objects.filter(email=old_email).exists()
    membership = Membership.objects.get(pk=hr_world.s2.pk)
    assert membership.anonymized_at is not None and membership.employee_code == ""
    assert membership.shown_name == "退会者"
    # Attempts and answers stay, linked to the emptied account: every figure is what it was.
    assert Attempt.objects.filter(user=person).count() == attempts
    assert AttemptItem.objects.filter(attempt__user=person).count() == answers
    rebuild()
    assert statistics(organization.pk, hr_world.exam.pk) == before
    assert client.get(reverse("privacy:my_data")).status_code == 302  # signed out
    for address in (old_email, person.email):  # neither the old address nor the placeholder signs in
        response = client.post(reverse("login"), {"username": address, "password": PASSWORD})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    [event] = AuditEvent.objects.filter(organization=organization, action=Action.ACCOUNT_DELETE)
    assert event.target_id == membership.pk


def test_a_deleted_member_shows_as_taisha_in_the_hr_table_csvs_and_api(client, hr_world, hr_manager, organization):
    name, email, code = hr_world.s2.user.display_name, hr_world.s2.user.email, hr_world.s2.employee_code
    client.force_login(hr_world.s2.user)
    client.post(reverse("privacy:account_delete"), {"password": PASSWORD, "understood": "on"})

    client.force_login(hr_manager)
    page = client.get(reverse("hr:org_dashboard")).content.decode()
    assert "退会者" in page and name not in page and code not in page
    members_csv = csv_of(client.get(reverse("hr:org_dashboard_csv", args=["members"])))
    assert "退会者" in members_csv and name not in members_csv and email not in members_csv
    assert hr_world.s1.user.email in members_csv  # the others as before
    departments_csv = csv_of(client.get(reverse("hr:org_dashboard_csv", args=["departments"])))
    assert departments_csv.count("\n") > 2
    _token, key = api_token_create(organization=organization, name="人事")
    listed = client.get(reverse("api:members"), HTTP_AUTHORIZATION=f"Bearer {key}").json()["results"]
    row = next(m for m in listed if m["id"] == hr_world.s2.pk)
    assert row["name"] == "退会者" and row["email"] == "" and row["employee_code"] == ""


def test_a_wrong_password_deletes_nothing(client, hr_world):
    person = hr_world.s1.user
    client.force_login(person)
    response = client.post(reverse("privacy:account_delete"), {"password": "wrong", "understood": "on"})
    assert response.status_code == 400 and "パスワードが正しくありません" in response.content.decode()
    response = client.post(reverse("privacy:account_delete"), {"password": PASSWORD})  # not confirmed
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.deleted_at is None and person.is_active and person.display_name


def test_the_sole_org_admin_must_hand_over_first(client, hr_world, organization):
    client.force_login(hr_world.admin)
    page = client.get(reverse("privacy:my_data")).content.decode()
    assert organization.name in page and "別の人を組織の管理者に" in page
    response = client.post(reverse("privacy:account_delete"), {"password": PASSWORD, "understood": "on"})
    assert response.status_code == 400 and "管理者はあなただけです" in response.content.decode()
    hr_world.admin.refresh_from_db()
    assert hr_world.admin.deleted_at is None
    MembershipFactory(organization=organization, role=Membership.Role.ORG_ADMIN)
    assert client.post(reverse("privacy:account_delete"), {"password": PASSWORD, "understood": "on"}).status_code == 302


def test_deleting_needs_the_csrf_token(hr_world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr_world.s1.user)
    assert client.post(reverse("privacy:account_delete"), {"password": PASSWORD, "understood": "on"}).status_code == 403
    assert client.get(reverse("privacy:account_delete")).status_code == 405
    hr_world.s1.user.refresh_from_db()
    assert hr_world.s1.user.deleted_at is None


def test_a_deleted_accounts_attempts_make_no_new_study_cards(client, candidate, other_candidate, cohort_blueprint):
    take(cohort_blueprint, user=candidate, right=3, rng=random.Random(5))
    take(cohort_blueprint, user=other_candidate, right=3, rng=random.Random(6))
    client.force_login(candidate)
    client.post(reverse("privacy:account_delete"), {"password": PASSWORD, "understood": "on"})
    cards_refresh_all(now=timezone.now() + timezone.timedelta(minutes=5))  # the beat task, after the deletion
    assert not StudyCard.objects.filter(user=candidate).exists()
    assert StudyCard.objects.filter(user=other_candidate).exists()


def test_deletion_takes_notes_and_cards_and_keeps_real_results(client, candidate, studied, organization):
    RealResult.objects.create(
        user=candidate,
        exam_id=studied[0].blueprint.exam_id,
        session="2025#6",
        taken_on=timezone.localdate(),
        passed=True,
    )
    client.force_login(candidate)
    client.post(reverse("privacy:account_delete"), {"password": PASSWORD, "understood": "on"})
    assert not QuestionNote.objects.filter(user=candidate).exists()
    assert not StudyCard.objects.filter(user=candidate).exists()
    assert RealResult.objects.filter(user=candidate).count() == 1


# --- An organization removes a member's personal data on request -----------------------------------------------------


def test_org_admin_removes_a_members_personal_data_after_confirming(client, hr_world, organization):
    member = hr_world.s1
    name, email = member.user.display_name, member.user.email
    Invitation.objects.create(
        organization=organization,
        email=email,
        display_name=name,
        key_hash="x" * 64,
        expires_at=timezone.now(),
        accepted_at=timezone.now(),
        accepted_by=member.user,
    )
    client.force_login(hr_world.admin)
    url = reverse("privacy:member_remove_data", args=[member.pk])
    assert name in client.get(url).content.decode()  # the confirmation step changes nothing
    assert client.post(url).status_code == 200  # nor does a post without confirming
    member.refresh_from_db()
    assert member.anonymized_at is None

    assert client.post(url, {"confirm": "yes"}).status_code == 302

    member.refresh_from_db()
    assert member.anonymized_at is not None and member.employee_code == "" and member.shown_name == "退会者"
    assert not Invitation.objects.filter(email=email).exists()
    members_page = client.get(reverse("org_members")).content.decode()
    assert "退会者" in members_page and name not in members_page and email not in members_page
    assert "退会者" not in client.get(reverse("org_members"), {"q": email}).content.decode()  # no longer findable
    [event] = AuditEvent.objects.filter(organization=organization, action=Action.MEMBER_DATA_REMOVE)
    assert event.actor == hr_world.admin and event.target == member
    # The person's own account is theirs: it stays as it was.
    member.user.refresh_from_db()
    assert member.user.email == email and member.user.deleted_at is None


def test_removal_is_for_the_org_admin_of_the_members_organization_only(
    client, hr_world, hr_manager, other_organization
):
    other_admin = MembershipFactory(organization=other_organization, role=Membership.Role.ORG_ADMIN).user
    url = reverse("privacy:member_remove_data", args=[hr_world.s1.pk])
    client.force_login(other_admin)
    assert client.post(url, {"confirm": "yes"}).status_code == 404
    client.force_login(hr_manager)
    assert client.post(url, {"confirm": "yes"}).status_code == 403
    client.force_login(hr_world.s2.user)
    assert client.post(url, {"confirm": "yes"}).status_code == 403
    client.force_login(hr_world.admin)
    assert (
        client.post(reverse("privacy:member_remove_data", args=[hr_world.o1.pk]), {"confirm": "yes"}).status_code == 404
    )
    hr_world.s1.refresh_from_db()
    hr_world.o1.refresh_from_db()
    assert hr_world.s1.anonymized_at is None and hr_world.o1.anonymized_at is None
    assert not AuditEvent.objects.filter(action=Action.MEMBER_DATA_REMOVE).exists()


def test_an_active_org_admins_data_is_not_removed(client, hr_world, organization):
    second = MembershipFactory(organization=organization, role=Membership.Role.ORG_ADMIN)
    client.force_login(hr_world.admin)
    response = client.post(reverse("privacy:member_remove_data", args=[second.pk]), {"confirm": "yes"})
    assert response.status_code == 400 and "先に役割を変更" in response.content.decode()


def test_removal_needs_the_csrf_token(hr_world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr_world.admin)
    url = reverse("privacy:member_remove_data", args=[hr_world.s1.pk])
    assert client.post(url, {"confirm": "yes"}).status_code == 403
    hr_world.s1.refresh_from_db()
    assert hr_world.s1.anonymized_at is None
