from django.db import migrations


# The organization aggregates moved to hr and the watermark to exams (FeedCursor), with their tables (state only).

class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_member_stats_per_organization"),
        ("hr", "0001_initial"),
        ("exams", "0007_company_models_move_keyhold_feedcursor"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='memberexamstat',
                    name='exam',
                ),
                migrations.RemoveField(
                    model_name='memberexamstat',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='memberexamstat',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='orgareastat',
                    name='area',
                ),
                migrations.RemoveField(
                    model_name='orgareastat',
                    name='department',
                ),
                migrations.RemoveField(
                    model_name='orgareastat',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='orgmonthstat',
                    name='blueprint',
                ),
                migrations.RemoveField(
                    model_name='orgmonthstat',
                    name='department',
                ),
                migrations.RemoveField(
                    model_name='orgmonthstat',
                    name='organization',
                ),
                migrations.DeleteModel(
                    name='StatsWatermark',
                ),
                migrations.DeleteModel(
                    name='MemberExamStat',
                ),
                migrations.DeleteModel(
                    name='OrgAreaStat',
                ),
                migrations.DeleteModel(
                    name='OrgMonthStat',
                ),
            ],
            database_operations=[],
        ),
    ]
