from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questions.bankfile import BANK_DIR, BankError, read_bank
from questions.services import Via, bank_import


class Command(BaseCommand):
    help = "Import question bank files (docs/question-format.md): all of them, or nothing if any row is invalid."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help=f"files or folders (default: {BANK_DIR})")

    def handle(self, *args, paths, **options):
        try:
            # An operator's command: it may publish, and the history says so (by no person, via command).
            result = bank_import(bank=read_bank(paths or [BANK_DIR]), by=None, via=Via.COMMAND)
        except BankError as exc:
            raise CommandError(
                f"Nothing was imported. {len(exc.errors)} problem(s):\n" + "\n".join(exc.errors)
            ) from exc
        self.stdout.write(
            f"Question bank: {result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.versions} new published versions"
        )
