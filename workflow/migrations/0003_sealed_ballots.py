"""Secret ballots are sealed from the vote until the close (``SealedBallot``).

The anonymous decision rows that earlier secret votes wrote at cast time share their transaction
id and their physical neighbourhood with the ``BallotCast`` row of their voter. They are written
again here, session by session, with new random keys and in a random order, all in this
migration's transaction: what linked them to a cast is gone (PostgreSQL keeps the old row
versions until VACUUM; run ``VACUUM workflow_vote`` after migrating).
"""

import random
import uuid

import django.db.models.deletion
from django.db import migrations, models


def rewrite_anonymous_votes(apps, schema_editor):
    Vote = apps.get_model("workflow", "Vote")
    shuffle = random.SystemRandom().shuffle
    sessions = Vote.objects.filter(voter__isnull=True).values_list("session_id", flat=True).distinct()
    for session_id in list(sessions):
        rows = list(Vote.objects.filter(session_id=session_id, voter__isnull=True))
        fresh = [
            Vote(id=uuid.uuid4(), session_id=session_id, voter=None, decision=v.decision, score=v.score,
                 comment=v.comment, cast_at=None)
            for v in rows
        ]
        shuffle(fresh)
        Vote.objects.filter(pk__in=[v.pk for v in rows]).delete()
        Vote.objects.bulk_create(fresh)


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0002_session_rules'),
    ]

    operations = [
        migrations.CreateModel(
            name='SealedBallot',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('key_id', models.CharField(max_length=16)),
                ('sealed', models.BinaryField()),
                ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sealed_ballots', to='workflow.councilsession')),
            ],
        ),
        migrations.RunPython(rewrite_anonymous_votes, migrations.RunPython.noop),
    ]
