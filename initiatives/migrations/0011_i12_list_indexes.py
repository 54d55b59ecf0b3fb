"""Indexes for the first page of a list, newest first: one organisation's dossiers (a unit's
officers, its advisory team) and one council's (its members) as a backward range of ids, instead of
walking the newest dossiers of the whole table until twenty of theirs turn up (issue 12)."""

from django.db import migrations

INDEXES = {
    "initiative_org_newest": "organisation_id, id",
    "initiative_council_newest": "council_id, id",
}


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0010_i12_open_tasks")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON initiatives_initiative ({columns})",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]
