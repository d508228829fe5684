"""Hot-path queries whose SQL is built once per process.

Django compiles a queryset's SQL anew on every call; for the small queries an exam start runs that is about
half their CPU (0.4 of 0.9 ms each, bench/README.md "Issue 20"), while thousands start at once. A
PreparedQuery builds its queryset once with marker arguments, keeps the SQL and where each marker landed in
the parameters, and then runs that SQL with the real arguments. The queryset stays the one place the rule is
written; only what it returns changes: plain rows as the database driver gives them, so prepare queries of
ids, counts, codes and flags, not of dates or JSON (the ORM's converters do not run).
"""

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

# Integers no table here holds as an id or a count: each argument is put in as one, then found by value.
_MARKER_BASE = -7_300_001


class PreparedQuery:
    def __init__(self, build: Callable[..., QuerySet], *names: str):
        """`build(**{name: value})` returns the queryset; each name is an integer argument (an id)."""
        self._build, self._names = build, names
        self._compiled: dict[str, tuple[str, tuple, dict[str, list[int]], int]] = {}

    def rows(self, *, using: str = "default", **arguments: int) -> list[tuple]:
        sql, params, slots, width = self._compiled.get(using) or self._compile(using)
        values = list(params)
        for name, positions in slots.items():
            for position in positions:
                values[position] = arguments[name]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, values)
            rows = cursor.fetchall()
        # DISTINCT with an ordering selects the ordering's columns too; the ORM cuts them off, and so does this.
        return rows if not rows or len(rows[0]) == width else [row[:width] for row in rows]

    def _compile(self, using: str):
        markers = {name: _MARKER_BASE - i for i, name in enumerate(self._names)}
        queryset = self._build(**markers)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = {name: [i for i, value in enumerate(params) if value == marker] for name, marker in markers.items()}
        unused = [name for name, positions in slots.items() if not positions]
        if unused:  # an argument the query never reads (or one Django turned into something else)
            raise ValueError(f"PreparedQuery: {unused} not found in the query's parameters")
        self._compiled[using] = (sql, tuple(params), slots, compiler.col_count)
        return self._compiled[using]
