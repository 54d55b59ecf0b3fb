# Signed checkpoints of the trail (audit/signing.py).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_entry_hash_v2_and_scope_chains'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.BigIntegerField(db_index=True)),
                ('hash', models.CharField(blank=True, max_length=64)),
                ('at', models.DateTimeField()),
                ('key_id', models.CharField(max_length=32)),
                ('signature', models.CharField(max_length=128)),
                ('scopes', models.JSONField(blank=True, default=dict)),
            ],
            options={
                'verbose_name': 'mốc kiểm toán',
                'verbose_name_plural': 'mốc kiểm toán',
                'ordering': ['-seq', '-id'],
            },
        ),
    ]
