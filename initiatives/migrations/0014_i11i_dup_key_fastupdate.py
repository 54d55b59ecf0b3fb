"""The duplicate screen's GIN index without a pending list (PostgreSQL; SQLite has no such index).

With ``fastupdate`` (the default) new keys wait in the index's pending list until a vacuum or the
list's 4 MB limit flushes it, and every query scans that list whole. The register import asks the
index for each row of a batch right after inserting the batch (1,000 rows, ~8 words each, all in
the list): the screen of a batch spent most of its time rescanning them (measured at 200,000
initiatives: 2.6 s a batch with the list, 0.6 s without; inserts no slower). Entries now go straight
into the index, and what is pending is flushed once here."""

from django.db import migrations

INDEX = "initiative_dup_key_fts"


def off(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX IF EXISTS {INDEX} SET (fastupdate = off)")
        schema_editor.execute(
            f"SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relname = '{INDEX}' AND c.relkind = 'i'"
        )


def on(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX IF EXISTS {INDEX} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0013_i11s_search_prefixes")]

    operations = [migrations.RunPython(off, on)]
