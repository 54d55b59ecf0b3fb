"""Covering indexes for the days a report counts live (a period cut inside a month, on
PostgreSQL): the registrations by ``submitted_at`` and the recognitions by ``recognised_at``, each
with what the report sums, so those days are an index-only range instead of every dossier of the
days read from the table (``reports.selectors._per_org_counts_of_days``), and the ids of a month's
registrations under a union are found without reading the others (``month_initiatives``; issue
12, reports)."""

from django.db import migrations

INDEXES = {
    "initiative_submitted_counts": "(submitted_at) INCLUDE "
    "(organisation_id, state, category, assessed_benefit_vnd, benefit_value_vnd, id) WHERE submitted_at IS NOT NULL",
    "initiative_recognised_counts": "(recognised_at) INCLUDE (organisation_id) WHERE recognised_at IS NOT NULL",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # INCLUDE is PostgreSQL's
        for name, columns in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON initiatives_initiative {columns}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0018_i12p_org_award_rank_index")]

    operations = [migrations.RunPython(create, drop)]
