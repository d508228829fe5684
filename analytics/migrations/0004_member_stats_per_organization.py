import django.db.models.deletion
from django.db import migrations, models


def forget_person_wide_stats(apps, schema_editor):
    """Member records were one per person (so a new organization saw mocks from before the person joined);
    they become one per organization. Empty them and rewind the organizations' fold: the next refresh
    (beat, every minute) rebuilds every organization aggregate from the scored attempts."""
    for name in ("MemberExamStat", "OrgMonthStat", "OrgAreaStat"):
        apps.get_model("analytics", name).objects.all().delete()
    apps.get_model("analytics", "StatsWatermark").objects.filter(name="organizations").update(
        scored_at=None, attempt_id=0
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_email_confirmed_at"),
        ("analytics", "0003_organization_aggregates"),
    ]

    operations = [
        migrations.RunPython(forget_person_wide_stats, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="memberexamstat", name="member_exam_stat_unique"),
        migrations.AddField(
            model_name="memberexamstat",
            name="organization",
            field=models.ForeignKey(
                default=None,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organization",
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="memberexamstat",
            constraint=models.UniqueConstraint(
                fields=("organization", "user", "exam"), name="member_exam_stat_unique_in_org"
            ),
        ),
    ]
