from pathlib import Path

from django.core.management.base import BaseCommand

from questions.bankfile import SYLLABUS_DIR
from questions.services import syllabus_load


class Command(BaseCommand):
    help = "Create or update exams and syllabus areas from questions/data/syllabus/*.yaml (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="syllabus files (default: the repo's)")

    def handle(self, *args, paths, **options):
        result = syllabus_load(paths=paths or SYLLABUS_DIR.glob("*.yaml"))
        dropped = f", no longer in the syllabus: {', '.join(result.dropped)}" if result.dropped else ""
        self.stdout.write(f"Syllabus: {result.created} areas created, {result.updated} updated{dropped}")
