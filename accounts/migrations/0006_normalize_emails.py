import unicodedata

from django.db import migrations


def normalize(value: str) -> str:
    # accounts.models.normalize_email as of this migration (kept here: migrations must not change later).
    text = unicodedata.normalize("NFKC", value or "")
    return unicodedata.normalize("NFKC", text.casefold()).strip()


def normalize_emails(apps, schema_editor):
    """Stored emails were lower-cased; from now on they are NFKC + case-folded, and looked up exactly. An
    address whose normalized form another account already has is left as it is (an operator decides)."""
    User = apps.get_model("accounts", "User")
    Invitation = apps.get_model("accounts", "Invitation")
    taken = set(User.objects.values_list("email", flat=True))
    for user in User.objects.all():
        email = normalize(user.email)
        if email != user.email and email not in taken:
            taken.discard(user.email)
            taken.add(email)
            User.objects.filter(pk=user.pk).update(email=email)
    for invitation in Invitation.objects.all():
        email = normalize(invitation.email)
        if email != invitation.email:
            Invitation.objects.filter(pk=invitation.pk).update(email=email)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_membership_left_at")]

    operations = [migrations.RunPython(normalize_emails, migrations.RunPython.noop)]
