from pathlib import Path

from django.core.management.base import BaseCommand

from questions.exporting import bank_export


class Command(BaseCommand):
    help = "Write the question bank as YAML files, one per syllabus leaf area (the import format)."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        files = bank_export(directory=directory)
        self.stdout.write(f"Wrote {len(files)} files to {directory}")
