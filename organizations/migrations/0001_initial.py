import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from common.migrations import rename_content_types

# The models came from accounts with their tables (state only: nothing in the database changes).

class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0007_email_confirmed_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Organization',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, verbose_name='組織名')),
                        ('slug', models.SlugField(unique=True, verbose_name='識別子')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'verbose_name': '組織',
                        'verbose_name_plural': '組織',
                        'db_table': 'accounts_organization',
                    },
                ),
                migrations.CreateModel(
                    name='Department',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, verbose_name='部署名')),
                        ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='organizations.department', verbose_name='上位部署')),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='departments', to='organizations.organization')),
                    ],
                    options={
                        'verbose_name': '部署',
                        'verbose_name_plural': '部署',
                        'db_table': 'accounts_department',
                    },
                ),
                migrations.CreateModel(
                    name='ApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='名前')),
                        ('prefix', models.CharField(max_length=12)),
                        ('key_hash', models.CharField(max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('last_used_at', models.DateTimeField(blank=True, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to='organizations.organization')),
                    ],
                    options={
                        'verbose_name': 'APIトークン',
                        'verbose_name_plural': 'APIトークン',
                        'db_table': 'accounts_apitoken',
                    },
                ),
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('member', 'メンバー'), ('hr_manager', '人事・育成担当'), ('org_admin', '組織管理者')], default='member', max_length=20, verbose_name='役割')),
                        ('employee_code', models.CharField(blank=True, max_length=50, verbose_name='社員番号')),
                        ('is_active', models.BooleanField(default=True, verbose_name='有効')),
                        ('joined_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('left_at', models.DateTimeField(blank=True, null=True)),
                        ('department', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='memberships', to='organizations.department')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='organizations.organization')),
                    ],
                    options={
                        'verbose_name': '所属',
                        'verbose_name_plural': '所属',
                        'db_table': 'accounts_membership',
                        'indexes': [models.Index(fields=['organization', 'department'], name='accounts_me_organiz_495b93_idx')],
                        'constraints': [models.UniqueConstraint(fields=('user', 'organization'), name='membership_one_per_user_org'), models.UniqueConstraint(condition=models.Q(('employee_code', ''), _negated=True), fields=('organization', 'employee_code'), name='membership_employee_code_unique_in_org')],
                    },
                ),
                migrations.CreateModel(
                    name='Invitation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254, verbose_name='メールアドレス')),
                        ('display_name', models.CharField(blank=True, max_length=100, verbose_name='氏名')),
                        ('employee_code', models.CharField(blank=True, max_length=50, verbose_name='社員番号')),
                        ('role', models.CharField(choices=[('member', 'メンバー'), ('hr_manager', '人事・育成担当'), ('org_admin', '組織管理者')], default='member', max_length=20, verbose_name='役割')),
                        ('key_hash', models.CharField(max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('expires_at', models.DateTimeField()),
                        ('accepted_at', models.DateTimeField(blank=True, null=True)),
                        ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                        ('accepted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('department', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='organizations.department', verbose_name='部署')),
                        ('invited_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='organizations.organization')),
                    ],
                    options={
                        'verbose_name': '招待',
                        'verbose_name_plural': '招待',
                        'db_table': 'accounts_invitation',
                        'constraints': [models.UniqueConstraint(django.db.models.functions.text.Lower('email'), models.F('organization'), condition=models.Q(('accepted_at', None), ('cancelled_at', None)), name='invitation_one_pending_per_email')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='department',
                    constraint=models.UniqueConstraint(fields=('organization', 'name'), name='department_name_unique_in_org'),
                ),
            ],
            database_operations=[],
        ),
        rename_content_types({("accounts", m): ("organizations", m) for m in
            ("organization", "department", "membership", "invitation", "apitoken")}),
    ]
