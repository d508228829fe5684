import django.db.models.deletion
from django.db import migrations, models

from common.migrations import rename_content_types


class Migration(migrations.Migration):
    """Assignments and real results move to the hr app, with their tables (state only); the statistics
    watermark becomes the scored-attempt feed's cursor, here, with its table; KeyHold is new."""

    dependencies = [
        ("exams", "0006_assignment_hold_keys"),
        ("organizations", "0001_initial"),
        ("analytics", "0004_member_stats_per_organization"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="blueprint",
                    name="organizations",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="blueprints",
                        to="organizations.organization",
                        verbose_name="受験できる組織（空なら全員）",
                    ),
                ),
                migrations.DeleteModel(name="Assignment"),
                migrations.DeleteModel(name="RealResult"),
                migrations.CreateModel(
                    name="FeedCursor",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=30, unique=True)),
                        ("scored_at", models.DateTimeField(blank=True, null=True)),
                        ("attempt_id", models.BigIntegerField(default=0)),
                        ("correction_id", models.BigIntegerField(default=0)),
                    ],
                    options={"db_table": "analytics_statswatermark"},
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name="KeyHold",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("opens_at", models.DateTimeField()),
                ("releases_at", models.DateTimeField()),
                (
                    "blueprint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="exams.blueprint"
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="organizations.organization"
                    ),
                ),
            ],
            options={"indexes": [models.Index(fields=["blueprint", "releases_at"], name="exams_keyho_bluepri_141784_idx")]},
        ),
        rename_content_types({("analytics", "statswatermark"): ("exams", "feedcursor")}),
    ]
