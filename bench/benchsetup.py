"""What every bench script does first: Django in-process on the configured database, and the bank ready."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host name


def blueprint_with_bank(slug: str):
    """The blueprint, loading the syllabus, starter bank and default blueprints first if it is missing."""
    from exams.models import Blueprint

    if not Blueprint.objects.filter(slug=slug).exists():
        for command in ("load_syllabus", "seed_questions", "seed_blueprints"):
            call_command(command, verbosity=0)
    return Blueprint.objects.get(slug=slug)
