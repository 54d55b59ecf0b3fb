"""Stored names in one language: the union administrators' group and the import's system account
were named in Vietnamese and English glued together ("… / …"); they keep the Vietnamese."""

from django.db import migrations

GROUP_OLD, GROUP_NEW = "Quản trị công đoàn / Union administrators", "Quản trị công đoàn"
SYSTEM_OLD, SYSTEM_NEW = "Hệ thống / System", "Hệ thống"


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    if not Group.objects.filter(name=GROUP_NEW).exists():
        Group.objects.filter(name=GROUP_OLD).update(name=GROUP_NEW)
    apps.get_model("councils", "User").objects.filter(username="he-thong", full_name=SYSTEM_OLD).update(
        full_name=SYSTEM_NEW
    )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NEW).update(name=GROUP_OLD)
    apps.get_model("councils", "User").objects.filter(username="he-thong", full_name=SYSTEM_NEW).update(
        full_name=SYSTEM_OLD
    )


class Migration(migrations.Migration):
    dependencies = [
        ("councils", "0004_password_set_by"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
