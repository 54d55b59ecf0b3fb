"""Anonymous decision rows in an open secret session are accepted at the close only where they
were written before ballots were sealed: this migration counts them, session by session, for the
secret sessions open now (``CouncilSession.legacy_votes``). Every other session keeps 0, and the
application never raises it: from now on a decision row in an open secret session is refused at
the close (409 ``ballot_integrity``) — it can only have been written behind the application's back.
"""

from django.db import migrations, models
from django.db.models import Count


def count_legacy_votes(apps, schema_editor):
    CouncilSession = apps.get_model("workflow", "CouncilSession")
    Vote = apps.get_model("workflow", "Vote")
    held = (
        Vote.objects.filter(voter__isnull=True, session__closed_at__isnull=True, session__ballot="secret")
        .values("session_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in held:
        CouncilSession.objects.filter(pk=row["session_id"]).update(legacy_votes=row["n"])


class Migration(migrations.Migration):

    dependencies = [
        ("workflow", "0003_sealed_ballots"),
    ]

    operations = [
        migrations.AddField(
            model_name="councilsession",
            name="legacy_votes",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_legacy_votes, migrations.RunPython.noop),
    ]
