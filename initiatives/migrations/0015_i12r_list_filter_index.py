"""An index for a list filtered by organisation, stage and field at once (issue 12, track i12r): each
unit of the subtree an index range of exactly the matching dossiers, instead of every dossier of
the unit at that stage read to test its field (a corporation's 12,500 for its 3,000 matches at
2 million)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0014_i11i_dup_key_fastupdate")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS initiative_org_state_category "
            "ON initiatives_initiative (organisation_id, state, category, id)",
            "DROP INDEX IF EXISTS initiative_org_state_category",
        )
    ]
