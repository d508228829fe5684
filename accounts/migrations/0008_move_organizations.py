from django.db import migrations


# Organizations, departments, memberships, invitations and API tokens moved to the organizations app with their
# tables (state only: nothing in the database changes).

class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_email_confirmed_at"),
        ("organizations", "0001_initial"),
        ("exams", "0007_company_models_move_keyhold_feedcursor"),
        ("hr", "0001_initial"),
        ("analytics", "0005_move_organization_aggregates_and_watermark"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='department',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='department',
                    name='parent',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='department',
                ),
                migrations.RemoveField(
                    model_name='invitation',
                    name='department',
                ),
                migrations.RemoveField(
                    model_name='invitation',
                    name='accepted_by',
                ),
                migrations.RemoveField(
                    model_name='invitation',
                    name='invited_by',
                ),
                migrations.RemoveField(
                    model_name='invitation',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='ApiToken',
                ),
                migrations.DeleteModel(
                    name='Department',
                ),
                migrations.DeleteModel(
                    name='Invitation',
                ),
                migrations.DeleteModel(
                    name='Organization',
                ),
                migrations.DeleteModel(
                    name='Membership',
                ),
            ],
            database_operations=[],
        ),
    ]
