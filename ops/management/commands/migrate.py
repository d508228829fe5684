"""`migrate`, refusing to change the schema while candidates are sitting an exam.

A migration can lock a table the exam writes to (autosave's UPDATE on exams_attemptitem, the start's INSERTs)
for as long as it rewrites it; during an exam that is lost answers and timeouts for everyone. So with attempts
open and migrations to apply this stops and says how many are open; `--force` or MOSHI_MIGRATE_FORCE=1 runs it
anyway. With nothing to apply (every `make run`, every container restart) or no attempts table yet (a fresh
or test database) it runs as Django's own. docs/operations.md: "The migration guard"."""

import os

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import DatabaseError, connections
from django.db.migrations.exceptions import AmbiguityError
from django.db.migrations.executor import MigrationExecutor

from ops.selectors import open_attempt_count

FORCE_ENV = "MOSHI_MIGRATE_FORCE"


class Command(DjangoMigrateCommand):
    help = DjangoMigrateCommand.help + " Refuses while exam attempts are open unless --force."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--force",
            action="store_true",
            help=f"Migrate even while attempts are open (or set {FORCE_ENV}=1).",
        )

    def handle(self, *args, **options):
        forced = options["force"] or os.environ.get(FORCE_ENV, "").strip().lower() in ("1", "true", "yes", "on")
        changes_nothing = options["plan"] or options["check_unapplied"] or options["fake"]
        if not forced and not changes_nothing:
            self._refuse_while_attempts_are_open(options)
        return super().handle(*args, **options)

    def _refuse_while_attempts_are_open(self, options) -> None:
        database = options["database"]
        if not self._has_work(database, options.get("app_label"), options.get("migration_name")):
            return
        open_count = open_attempt_count(using=database)
        if open_count:
            raise CommandError(
                f"{open_count} exam attempt(s) are open (in progress and before their deadline): migrating now "
                "could lock the tables candidates are saving to. Wait until they are submitted, or run "
                f"`manage.py migrate --force` (or {FORCE_ENV}=1) if you are sure. See docs/operations.md."
            )

    def _has_work(self, database: str, app_label: str | None, migration_name: str | None) -> bool:
        """Whether this migrate would apply or unapply anything (the same targets as Django's command)."""
        connection = connections[database]
        try:
            executor = MigrationExecutor(connection)
        except DatabaseError:
            return True  # cannot read the migration history: let Django's command report it
        graph = executor.loader.graph
        if app_label and migration_name:
            if migration_name == "zero":
                targets = [(app_label, None)]
            else:
                try:
                    migration = executor.loader.get_migration_by_prefix(app_label, migration_name)
                except (AmbiguityError, KeyError):  # Django's command says which name is wrong
                    return True
                targets = [(migration.app_label, migration.name)]
        elif app_label:
            targets = [key for key in graph.leaf_nodes() if key[0] == app_label]
        else:
            targets = graph.leaf_nodes()
        return bool(executor.migration_plan(targets))
