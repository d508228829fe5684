import django.db.models.deletion
from django.db import migrations, models


def hold_keys_as_key_holds(apps, schema_editor):
    """An assignment that held its mock's keys now does it through a KeyHold, which exams reads."""
    Assignment = apps.get_model("hr", "Assignment")
    KeyHold = apps.get_model("exams", "KeyHold")
    for assignment in Assignment.objects.filter(hold_keys=True):
        assignment.key_hold = KeyHold.objects.create(
            organization_id=assignment.organization_id, blueprint_id=assignment.blueprint_id,
            opens_at=assignment.opens_at, releases_at=assignment.due_at,
        )
        assignment.save(update_fields=["key_hold"])


class Migration(migrations.Migration):
    dependencies = [("hr", "0001_initial"), ("exams", "0007_company_models_move_keyhold_feedcursor")]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="key_hold",
            field=models.OneToOneField(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                to="exams.keyhold", verbose_name="解答・解説を期限後に公開する",
            ),
        ),
        migrations.RunPython(hold_keys_as_key_holds, migrations.RunPython.noop),
        migrations.RemoveField(model_name="assignment", name="hold_keys"),
    ]
