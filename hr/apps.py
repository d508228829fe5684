from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HrConfig(AppConfig):
    name = "hr"
    verbose_name = _("人事・育成")

    def ready(self) -> None:
        post_migrate.connect(_seed_exam_sessions_after_migrate, sender=self)


def _seed_exam_sessions_after_migrate(sender, **kwargs) -> None:
    # After the questions app's own post_migrate (it comes first in INSTALLED_APPS), which creates the exams.
    # Only exams with no sessions get the seeded list, so admins' edits are never undone.
    from .services import exam_sessions_seed

    exam_sessions_seed()
