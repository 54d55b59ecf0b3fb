"""The library's search (issue 11) over the prefix lexemes of the recognised dossiers only: a
partial GIN index ``WHERE recognised_at IS NOT NULL`` (the library's own condition, which implies
it). Over the whole register's index PostgreSQL found the rows holding every word and then ANDed
them with the half-million entries of ``recognised_at IS NOT NULL`` (85 of 137 ms for
``cau chi tu r`` at 2 million, whatever ``random_page_cost``); here the index holds only the
library's rows. PostgreSQL only (SQLite searches otherwise: ``initiatives.search``)."""

from django.db import migrations

FORWARD = """
SET LOCAL maintenance_work_mem = '512MB';
CREATE INDEX IF NOT EXISTS initiative_library_prefix_gin ON initiatives_initiative
  USING gin (initiatives_search_prefixes(search_vector)) WHERE recognised_at IS NOT NULL;
"""
BACKWARD = "DROP INDEX IF EXISTS initiative_library_prefix_gin;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0020_council_due_index")]

    operations = [migrations.RunPython(forward, backward)]
