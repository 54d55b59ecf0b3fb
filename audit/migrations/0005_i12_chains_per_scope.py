# One chain per scope (audit/chain.py, hash format 3): every scope's head gets a row of its own,
# locked only by appends to that scope, and the entries' global numbers come from a database
# sequence (no lock; gaps where a transaction rolled back). Nothing is re-hashed: the entries of
# formats 1 and 2 stay the closed global chain, whose end stays in AuditHead; each scope's chain
# goes on from its last format-2 entry (AuditHead.scopes). Checkpoints get format 2 (a Merkle root
# over all heads).

from django.db import migrations, models

SEQUENCE = "audit_auditentry_seq_gen"


def heads_from_the_global_head(apps, schema_editor):
    """Every scope's head row from its newest entry on the scope chain (formats 2 and 3 both carry
    scope_key/scope_seq). On a first upgrade these are exactly AuditHead.scopes; read from the
    entries, the heads are also right when this migration is undone and applied again on a trail
    that already holds format-3 entries (which AuditHead.scopes never saw)."""
    AuditChain = apps.get_model("audit", "AuditChain")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    chained = AuditEntry.objects.exclude(scope_seq=None)
    for key in chained.order_by().values_list("scope_key", flat=True).distinct():
        n, h, seq = chained.filter(scope_key=key).order_by("-scope_seq").values_list("scope_seq", "hash", "seq")[0]
        AuditChain.objects.update_or_create(key=key, defaults={"n": n, "hash": h, "seq": seq})


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # elsewhere (SQLite: one writer at a time) the next number is max(seq) + 1
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
    schema_editor.execute(
        f"SELECT setval('{SEQUENCE}', GREATEST(1, (SELECT COALESCE(MAX(seq), 0) FROM audit_auditentry), "
        "(SELECT COALESCE(MAX(seq), 0) FROM audit_audithead)))"
    )


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_auditcheckpoint"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=255, unique=True)),
                ("n", models.BigIntegerField(default=0)),
                ("hash", models.CharField(default="", max_length=64)),
                ("seq", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "chuỗi kiểm toán",
                "verbose_name_plural": "chuỗi kiểm toán",
            },
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="legacy",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="tree_size",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="version",
            field=models.PositiveSmallIntegerField(db_default=1, default=1),
        ),
        migrations.RunPython(heads_from_the_global_head, migrations.RunPython.noop),
        migrations.RunPython(create_sequence, drop_sequence),
    ]
