"""The duplicate screen's retrieval key: ``dup_key`` (filled for the existing dossiers), and on
PostgreSQL the ``pg_trgm`` and ``unaccent`` extensions (the search uses them too) and a GIN
full-text index over the keys of the submitted dossiers (the rows the screen reads; its
statistics tell the screen which words are rare). SQLite skips the PostgreSQL part."""

from django.db import migrations, models

INDEX = "initiative_dup_key_fts"
SUBMITTED = "state NOT IN ('draft', 'withdrawn')"


def fill(apps, schema_editor):
    from initiatives.duplicates import dup_key

    Initiative = apps.get_model("initiatives", "Initiative")
    batch = []
    for row in Initiative.objects.only("id", "title", "summary").iterator(chunk_size=2000):
        row.dup_key = dup_key(row.title, row.summary)
        batch.append(row)
        if len(batch) >= 2000:
            Initiative.objects.bulk_update(batch, ["dup_key"])
            batch = []
    if batch:
        Initiative.objects.bulk_update(batch, ["dup_key"])


def postgres_on(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON initiatives_initiative "
        f"USING gin (to_tsvector('simple', dup_key)) WHERE {SUBMITTED}"
    )


def postgres_off(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0006_target_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="initiative",
            name="dup_key",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(postgres_on, postgres_off),
    ]
