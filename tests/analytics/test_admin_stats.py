import pytest
from django.urls import reverse

from analytics.models import ItemStat
from tests.factories import UserFactory, make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_question_admin_shows_statistics_and_filters_suspect_questions(admin_client):
    good = make_question(external_id="stat-good")
    odd = make_question(external_id="stat-odd")
    ItemStat.objects.create(version=good.published_version, responses=50, correct=30, facility=0.6, discrimination=0.41)
    ItemStat.objects.create(
        version=odd.published_version,
        responses=50,
        correct=20,
        facility=0.4,
        discrimination=-0.12,
        flags=["negative_discrimination"],
        choice_picks={str(odd.published_version.choices.first().pk): 20},
    )
    url = reverse("admin:questions_question_changelist")
    page = admin_client.get(url).content.decode()
    assert "-0.12" in page and "0.41" in page and "識別力が負" in page

    suspect = admin_client.get(url, {"suspect": "negative_discrimination"}).content.decode()
    assert "stat-odd" in suspect and "stat-good" not in suspect
    assert "stat-good" not in admin_client.get(url, {"suspect": "any"}).content.decode()

    panel = admin_client.get(reverse("admin:questions_question_change", args=[odd.pk])).content.decode()
    assert "版ごとの統計" in panel and "1◯: 40%" in panel  # 20 of 50 picked the first (correct) choice


def test_question_changelist_queries_do_not_grow_with_questions(admin_client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:questions_question_changelist")
    make_question(external_id="one")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for i in range(20):
        q = make_question(external_id=f"many-{i}")
        ItemStat.objects.create(version=q.published_version, responses=5, correct=2, facility=0.4)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(url)
