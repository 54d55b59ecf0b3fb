"""Search at 2 million (issue 11, track i11s): every beginning of every word of a dossier's title
and summary as a lexeme of its own, in a GIN index over an expression — no column, no rewrite.

A search word is a prefix (``bien:*``): on the plain ``search_vector`` index PostgreSQL reads the
posting list of every lexeme it begins (``r:*``: hundreds of lexemes, a third of the register) into
a bitmap before it can intersect anything, hundreds of milliseconds at 2 million. Here
``initiatives_search_prefixes(search_vector)`` holds ``>b``, ``>bi``, ``>bie``, ``>bien`` for the
lexeme ``bien`` (the first ``PREFIX_MAX`` = 12 characters), so the same word is one exact lexeme
(``'>bien'``) and the index intersects the words by skipping through their lists from the rarest
one. The ``>`` keeps these lexemes apart from the words themselves (``bien:*`` never matches
``>bien``), and the rank is still computed on ``search_vector``. PostgreSQL only."""

from django.db import migrations

PREFIX_MAX = 12

FORWARD = f"""
SET LOCAL maintenance_work_mem = '512MB';
CREATE OR REPLACE FUNCTION initiatives_search_prefixes(v tsvector) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT '>' || left(l, k))), ''::tsvector)
  FROM unnest(tsvector_to_array(v)) AS l, generate_series(1, least(length(l), {PREFIX_MAX})) AS k
$$;
CREATE INDEX IF NOT EXISTS initiative_search_prefix_gin ON initiatives_initiative
  USING gin (initiatives_search_prefixes(search_vector));
"""
BACKWARD = """
DROP INDEX IF EXISTS initiative_search_prefix_gin;
DROP FUNCTION IF EXISTS initiatives_search_prefixes(tsvector);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0012_i12p_award_rank_index")]

    operations = [migrations.RunPython(forward, backward)]
