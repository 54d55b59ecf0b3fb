"""Each council session keeps the rules its council had when it opened (ballot, quorum, threshold,
decision days). Sessions that already exist take their council's current rules."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

RULES = ("ballot", "quorum", "threshold_numerator", "threshold_denominator", "decision_days")


def fill_from_council(apps, schema_editor):
    Council = apps.get_model("councils", "Council")
    CouncilSession = apps.get_model("workflow", "CouncilSession")
    Vote = apps.get_model("workflow", "Vote")
    council = Council.objects.filter(pk=OuterRef("council_id"))
    CouncilSession.objects.update(**{f: Subquery(council.values(f)[:1]) for f in RULES})
    # a session already voted in keeps the ballot it was held under, whatever the council says now
    held_secret = Vote.objects.filter(voter__isnull=True).values("session_id")
    held_open = Vote.objects.filter(voter__isnull=False).values("session_id")
    CouncilSession.objects.filter(pk__in=held_secret).update(ballot="secret")
    CouncilSession.objects.filter(pk__in=held_open).exclude(pk__in=held_secret).update(ballot="open")


class Migration(migrations.Migration):

    dependencies = [
        ("councils", "0001_initial"),
        ("workflow", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="councilsession",
            name="ballot",
            field=models.CharField(
                choices=[("open", "Biểu quyết công khai"), ("secret", "Bỏ phiếu kín")], default="open", max_length=10
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="councilsession",
            name="decision_days",
            field=models.PositiveIntegerField(default=90),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="councilsession",
            name="quorum",
            field=models.PositiveIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="councilsession",
            name="threshold_denominator",
            field=models.PositiveIntegerField(default=3),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="councilsession",
            name="threshold_numerator",
            field=models.PositiveIntegerField(default=2),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="councilsession",
            constraint=models.CheckConstraint(
                condition=models.Q(("threshold_numerator__gt", 0), ("threshold_numerator__lte", models.F("threshold_denominator"))),
                name="session_threshold_in_0_1",
            ),
        ),
        migrations.RunPython(fill_from_council, migrations.RunPython.noop),
    ]
