from axes.apps import AppConfig as DjangoAxesConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # this module also holds AxesConfig
    name = "accounts"
    verbose_name = _("アカウント")


class AxesConfig(DjangoAxesConfig):
    """django-axes (the login throttle, accounts.lockout) under a Japanese name in the admin; it sets none, so
    the admin showed "Axes". Its models' and fields' names are translated in locale/ja."""

    verbose_name = _("ログイン制限")
