"""An index in the award committee's order: the recognised initiatives by the benefit a report
counts (the assessed value, else the declared one), then the most recently recognised. The monthly
candidates of a sector (``awards.selectors.monthly_suggestions``: the best thousand) are then the
start of an index range instead of a sort of every recognised dossier (issue 12, reports)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0011_i12_list_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS initiative_benefit_rank ON initiatives_initiative "
            "((COALESCE(assessed_benefit_vnd, benefit_value_vnd)) DESC, recognised_at DESC) "
            "WHERE recognised_at IS NOT NULL",
            "DROP INDEX IF EXISTS initiative_benefit_rank",
        )
    ]
