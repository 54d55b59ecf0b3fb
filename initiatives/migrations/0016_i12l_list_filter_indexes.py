"""Indexes for the list filters that read a subtree's or a council's dossiers by date or field
(issue 12, track i12l), each an index range of exactly the matching rows:

- ``submitted_month=`` within an officer's or adviser's organisations: ``(organisation_id,
  submitted_at)`` — before, each unit's dossiers ANDed with the whole country's month (the month's
  index read again for every unit of the corporation: 72 ms for 361 rows at 200,000);
- ``due=overdue`` / ``soon``: ``(organisation_id, due_at)`` over the dossiers that have a due date
  (those before a council: a tenth) — before, a sequential scan of every dossier;
- ``category=`` for a council's members: ``(council_id, category, id)`` — before, the whole category
  (a quarter of the register) read from the organisation index to AND with the council's rows.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0015_i12r_list_filter_index")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS initiative_org_submitted "
            "ON initiatives_initiative (organisation_id, submitted_at)",
            "DROP INDEX IF EXISTS initiative_org_submitted",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS initiative_org_due "
            "ON initiatives_initiative (organisation_id, due_at) WHERE due_at IS NOT NULL",
            "DROP INDEX IF EXISTS initiative_org_due",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS initiative_council_category "
            "ON initiatives_initiative (council_id, category, id)",
            "DROP INDEX IF EXISTS initiative_council_category",
        ),
    ]
