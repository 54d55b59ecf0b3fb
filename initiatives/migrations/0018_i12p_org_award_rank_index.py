"""The award committee's order within each organisation: its recognised initiatives by the benefit
a report counts, then the most recently recognised. A corporation's monthly candidates
(``awards.selectors._best_recognised_ids``) are then the start of one index range per unit instead
of every recognised dossier of the tree checked against the corporation (issue 12, reports)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0017_i12p_author_first_days")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS initiative_org_benefit_rank ON initiatives_initiative "
            "(organisation_id, (COALESCE(assessed_benefit_vnd, benefit_value_vnd)) DESC, recognised_at DESC) "
            "WHERE recognised_at IS NOT NULL",
            "DROP INDEX IF EXISTS initiative_org_benefit_rank",
        )
    ]
