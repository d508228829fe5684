"""On PostgreSQL, trigram indexes for study search (a case-insensitive substring search, Japanese included:
pg_trgm takes multibyte characters under a UTF-8 ctype). Django's icontains is UPPER(col::text) LIKE UPPER(%s),
so the indexes are on that expression. Other databases search without them."""

from django.db import migrations

INDEXES = [
    ("study_search_stem_trgm", "questions_questionversion", "stem_html"),
    ("study_search_explanation_trgm", "questions_questionversion", "explanation_html"),
    ("study_search_keywords_trgm", "questions_question", "keywords"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("study", "0001_study"), ("questions", "0004_review_comments_and_send_back")]
    operations = [migrations.RunPython(create, drop)]
