"""The admin speaks Japanese (issue 17, item 14): Moshi's apps and models, and django-axes's login throttle,
have Japanese names on the admin index and in axes's lists."""

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.cookies["django_language"] = "ja"
    return client


def test_the_admin_index_names_apps_and_models_in_japanese(superuser_client):
    html = superuser_client.get(reverse("admin:index")).content.decode()
    for name in (
        "成績分析",
        "ログイン制限",
        "ログイン失敗の集計",
        "ログイン失敗の履歴",
        "ログイン履歴",
        "本番試験の回",
    ):
        assert name in html, name
    for english in ("Analytics", "Axes", "Access attempts", "Access logs", "Access failures"):
        assert f">{english}<" not in html, english
    assert "Moshi 管理画面" in html and "Django" not in html


def test_axes_lists_have_japanese_columns(superuser_client):
    AccessAttempt.objects.create(
        username="someone@example.jp",
        ip_address="192.0.2.1",
        user_agent="UA",
        http_accept="*/*",
        path_info="/x",
        failures_since_start=2,
        get_data="",
        post_data="",
    )
    html = superuser_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "ユーザーエージェント" in html and "IPアドレス" in html and "User Agent" not in html


def test_every_model_in_the_admin_outside_exams_and_questions_has_japanese_names():
    for model in admin.site._registry:
        if model._meta.app_label in ("exams", "questions"):  # named by their owners
            continue
        assert not str(model._meta.verbose_name_plural).isascii(), model
        assert not str(model._meta.app_config.verbose_name).isascii(), model._meta.app_config
    for name in ("BlueprintNorm", "AreaNorm"):  # not in the admin, but listed in its permissions
        assert not str(apps.get_model("analytics", name)._meta.verbose_name).isascii(), name
