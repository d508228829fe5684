from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class QuestionsConfig(AppConfig):
    name = "questions"
    verbose_name = _("問題バンク")

    def ready(self) -> None:
        post_migrate.connect(_load_syllabus_after_migrate, sender=self)


def _load_syllabus_after_migrate(sender, **kwargs) -> None:
    # The syllabus is reference data every install needs: keep it current with each migrate.
    # Idempotent (updates by code), so running it after every migration costs a few queries.
    from .bankfile import SYLLABUS_DIR
    from .services import syllabus_load

    syllabus_load(paths=SYLLABUS_DIR.glob("*.yaml"))
