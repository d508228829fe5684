import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from common.migrations import rename_content_types

# Assignments and real results came from exams, the organization aggregates from analytics, with their tables
# (state only: nothing in the database changes).

class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ('exams', '0007_company_models_move_keyhold_feedcursor'),
        ('analytics', '0004_member_stats_per_organization'),
        ('organizations', '0001_initial'),
        ('questions', '0003_question_events'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Assignment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('opens_at', models.DateTimeField(verbose_name='この日以降の受験を数える')),
                        ('due_at', models.DateTimeField(verbose_name='期限（この時刻まで）')),
                        ('note', models.CharField(blank=True, max_length=200, verbose_name='メモ')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('blueprint', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='exams.blueprint', verbose_name='模擬試験')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('departments', models.ManyToManyField(blank=True, related_name='assignments', to='organizations.department', verbose_name='対象の部署')),
                        ('hold_keys', models.BooleanField(default=False, verbose_name='解答・解説を期限後に公開する')),
                        ('members', models.ManyToManyField(blank=True, related_name='assignments', to='organizations.membership', verbose_name='対象のメンバー')),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='organizations.organization')),
                    ],
                    options={
                        'verbose_name': '課題',
                        'verbose_name_plural': '課題',
                        'db_table': 'exams_assignment',
                        'indexes': [models.Index(fields=['organization', 'due_at'], name='exams_assig_organiz_10bf33_idx')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('due_at__gt', models.F('opens_at'))), name='due_after_open')],
                    },
                ),
                migrations.CreateModel(
                    name='MemberExamStat',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('passed_attempts', models.PositiveIntegerField(default=0)),
                        ('best_score', models.FloatField()),
                        ('latest_score', models.FloatField()),
                        ('latest_passed', models.BooleanField()),
                        ('latest_pass_ratio', models.FloatField()),
                        ('latest_at', models.DateTimeField()),
                        ('exam', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='questions.exam')),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organizations.organization')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='exam_stats', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'analytics_memberexamstat',
                        'constraints': [models.UniqueConstraint(fields=('organization', 'user', 'exam'), name='member_exam_stat_unique_in_org')],
                    },
                ),
                migrations.CreateModel(
                    name='OrgAreaStat',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField()),
                        ('correct', models.PositiveBigIntegerField(default=0)),
                        ('total', models.PositiveBigIntegerField(default=0)),
                        ('area', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='questions.syllabusarea')),
                        ('department', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='organizations.department')),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organizations.organization')),
                    ],
                    options={
                        'db_table': 'analytics_orgareastat',
                        'indexes': [models.Index(fields=['organization', 'month'], name='analytics_o_organiz_3b829c_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='OrgMonthStat',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField()),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('passed', models.PositiveIntegerField(default=0)),
                        ('score_sum', models.FloatField(default=0.0)),
                        ('blueprint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='exams.blueprint')),
                        ('department', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='organizations.department')),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organizations.organization')),
                    ],
                    options={
                        'db_table': 'analytics_orgmonthstat',
                        'indexes': [models.Index(fields=['organization', 'month'], name='analytics_o_organiz_2d9f07_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='RealResult',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('session', models.CharField(help_text='年#回 の形で。例: 2025#6（2025年 第6回）', max_length=10, validators=[django.core.validators.RegexValidator('^20\\d\\d#\\d{1,2}$', '年#回 の形で入力してください（例: 2025#6）。')], verbose_name='回')),
                        ('taken_on', models.DateField(verbose_name='受験日')),
                        ('passed', models.BooleanField(verbose_name='合格')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('exam', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='questions.exam', verbose_name='試験')),
                        ('recorded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='real_results', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': '本番試験の結果',
                        'verbose_name_plural': '本番試験の結果',
                        'db_table': 'exams_realresult',
                        'indexes': [models.Index(fields=['updated_at', 'id'], name='exams_realr_updated_901044_idx')],
                        'constraints': [models.UniqueConstraint(fields=('user', 'exam', 'session'), name='real_result_once_per_session')],
                    },
                ),
            ],
            database_operations=[],
        ),
        rename_content_types(
            {("exams", m): ("hr", m) for m in ("assignment", "realresult")}
            | {("analytics", m): ("hr", m) for m in ("orgmonthstat", "orgareastat", "memberexamstat")}
        ),
    ]
