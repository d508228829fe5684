from django.db import migrations

# Staff who write questions and staff who may publish them. Permissions are attached by the
# questions app's migrations, which know the question models.
AUTHOR_GROUPS = ("Question authors", "Question reviewers")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in AUTHOR_GROUPS:
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=AUTHOR_GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, remove_groups)]
