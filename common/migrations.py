"""Helpers for migrations that move a model to another app while keeping its table."""

from django.db import migrations


def rename_content_types(moves: dict[tuple[str, str], tuple[str, str]]):
    """A RunPython operation that moves content types (and so permissions and admin history) along with their
    models: {(old app, old model): (new app, new model)}. A fresh database has none to move."""

    def forward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for (old_app, old_model), (new_app, new_model) in moves.items():
            if not ContentType.objects.filter(app_label=new_app, model=new_model).exists():
                ContentType.objects.filter(app_label=old_app, model=old_model).update(
                    app_label=new_app, model=new_model
                )

    return migrations.RunPython(forward, migrations.RunPython.noop)
