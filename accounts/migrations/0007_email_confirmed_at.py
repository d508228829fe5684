from django.db import migrations, models
from django.db.models import F


def confirm_existing_accounts(apps, schema_editor):
    # Accounts made before sign-up asked for confirmation keep what they could do.
    apps.get_model("accounts", "User").objects.update(email_confirmed_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_normalize_emails")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_confirmed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="メール確認日時"),
        ),
        migrations.RunPython(confirm_existing_accounts, migrations.RunPython.noop),
    ]
