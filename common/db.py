"""Database helpers every app shares."""

from django.db import models


def save_rows(model: type[models.Model], rows) -> None:
    """Write aggregate rows in two statements whatever their number: rows read from the table are updated in
    place (an upsert on the primary key, so ids stay put), new ones inserted. bulk_update would build a CASE
    per row and field, which costs seconds in Python for a few hundred item rows."""
    rows = list(rows)
    if not rows:
        return
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    model.objects.bulk_create(rows, update_conflicts=True, unique_fields=["id"], update_fields=fields)
