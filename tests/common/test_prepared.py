"""A query compiled once answers every later call with that call's arguments, exactly as the ORM would."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.prepared import PreparedQuery
from exams.models import Blueprint
from organizations.models import Membership
from questions.models import Exam
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _available(user_id, blueprint_id):
    return Blueprint.objects.available_to(user_id).filter(pk=blueprint_id).values_list("pk")[:1]


def test_each_call_runs_with_its_own_arguments_and_agrees_with_the_orm():
    prepared = PreparedQuery(_available, "user_id", "blueprint_id")
    organization = OrganizationFactory()
    g_kentei = Exam.objects.get(code="g_kentei")
    private, public = (
        Blueprint.objects.create(exam=g_kentei, name=slug, slug=slug, minutes=10, question_count=5)
        for slug in ("private", "public")
    )
    private.organizations.add(organization)
    member, outsider = MembershipFactory(organization=organization).user, UserFactory()
    for user in (member, outsider):
        for blueprint in (private, public):
            expected = list(_available(user.pk, blueprint.pk))
            assert prepared.rows(user_id=user.pk, blueprint_id=blueprint.pk) == expected
    assert prepared.rows(user_id=member.pk, blueprint_id=private.pk) == [(private.pk,)]
    assert prepared.rows(user_id=outsider.pk, blueprint_id=private.pk) == []
    Membership.objects.filter(user=member).update(is_active=False)  # the rule is read anew, not the answer
    assert prepared.rows(user_id=member.pk, blueprint_id=private.pk) == []


def test_a_later_call_is_one_query_with_the_new_arguments():
    prepared = PreparedQuery(_available, "user_id", "blueprint_id")
    prepared.rows(user_id=1, blueprint_id=2)
    with CaptureQueriesContext(connection) as queries:
        prepared.rows(user_id=3, blueprint_id=4)
    assert len(queries) == 1
    assert queries[0]["sql"] == str(_available(3, 4).query)  # the ORM's own SQL, with these arguments


def test_an_argument_the_query_does_not_read_is_refused():
    prepared = PreparedQuery(
        lambda user_id, other: Blueprint.objects.filter(pk=user_id).values_list("pk"), "user_id", "other"
    )
    with pytest.raises(ValueError, match="other"):
        prepared.rows(user_id=1, other=2)
