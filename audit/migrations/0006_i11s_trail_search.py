"""The trail's ``q=`` at millions of entries (issue 11, track i11s): a trigram index over what a
word is looked for in — the unaccented comment, the actor's name and the action, lower case, one
text — so that a word found in few entries (or none) is answered by the index instead of
``UNACCENT()`` on every entry of the trail. PostgreSQL only (``pg_trgm`` and ``unaccent`` come
from ``initiatives`` 0009); ``workflow.selectors.trail_entries`` adds the index's test beside the
exact one, for words of three characters or more."""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION audit_search_text(comment text, actor text, action text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(public.unaccent('public.unaccent'::regdictionary, coalesce(comment, ''))) || E'\n' ||
         lower(coalesce(actor, '')) || E'\n' || lower(coalesce(action, ''))
$$;
CREATE INDEX IF NOT EXISTS audit_entry_search_trgm ON audit_auditentry
  USING gin (audit_search_text(comment, actor_name, action) gin_trgm_ops);
"""
BACKWARD = """
DROP INDEX IF EXISTS audit_entry_search_trgm;
DROP FUNCTION IF EXISTS audit_search_text(text, text, text);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_i12_chains_per_scope"), ("initiatives", "0009_search_and_duplicate_marks")]

    operations = [migrations.RunPython(forward, backward)]
