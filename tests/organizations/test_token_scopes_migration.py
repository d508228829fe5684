import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.slow  # migrates the test database back and forth
@pytest.mark.django_db(transaction=True)
def test_tokens_issued_before_scopes_keep_reading_the_hr_api_and_nothing_else():
    executor = MigrationExecutor(connection)
    before, after = [("organizations", "0001_initial")], [("organizations", "0002_api_token_scopes_and_scim")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    organization = old_apps.get_model("organizations", "Organization").objects.create(name="旧", slug="old")
    old_apps.get_model("organizations", "ApiToken").objects.create(
        organization=organization, name="Tableau", prefix="moshi_abc", key_hash="x" * 64
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    assert new_apps.get_model("organizations", "ApiToken").objects.get(name="Tableau").scopes == ["hr_read"]
    executor = MigrationExecutor(connection)  # a fresh one reads what is applied now
    executor.migrate(executor.loader.graph.leaf_nodes())
