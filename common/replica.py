"""Reads that may come from a PostgreSQL replica: the HR API and the HR dashboard, which read stored results and
aggregates that are seconds old anyway, and can be heavy. Nothing else does: the exam (start, autosave, submit,
the exam page) and everything that decides who may see what read the primary, so a candidate never sees a
replica's lag and a revoked token or membership stops at once.

A view opts in explicitly with `replica_reads()`; the router then sends that request's reads to the `replica`
alias (DATABASE_REPLICA_URL), unless a transaction is open on the primary (a read inside a write transaction
must see that transaction). Writes always go to the primary. With no replica configured it changes nothing."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads inside replica_reads() go to the replica; everything else to default."""

    def db_for_read(self, model, **hints) -> str | None:
        if _reading_from_replica.get() and replica_configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str | None:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the same rows on both sides

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db != REPLICA  # the replica follows the primary's schema through replication
