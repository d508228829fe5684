from django.contrib.auth.management import create_permissions
from django.db import migrations

AUTHOR_PERMS = [
    "add_question", "change_question", "view_question",
    "add_choice", "change_choice", "delete_choice", "view_choice",
    "add_stimulus", "change_stimulus", "view_stimulus",
    "view_questionversion", "view_syllabusarea", "view_exam",
]
REVIEWER_PERMS = [*AUTHOR_PERMS, "publish_question"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to attach them to groups.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in (("Question authors", AUTHOR_PERMS), ("Question reviewers", REVIEWER_PERMS)):
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="questions", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("questions", "0001_initial"), ("accounts", "0002_author_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
