"""Seed the Bằng Lao động sáng tạo thresholds (Decision 1564/QĐ-TLĐ, 1689/QĐ-TLĐ 2019, 999/QĐ-TLĐ 2024).

They are data: a union edits them in the admin. Re-running does not duplicate them.
"""

from django.db import migrations

RULES = [
    ("Giá trị làm lợi từ 80 triệu đồng — trình độ cao đẳng trở xuống", 80_000_000, 1, "college_or_below"),
    ("Giá trị làm lợi từ 120 triệu đồng trong 3 năm liên tục — trình độ cao đẳng trở xuống", 120_000_000, 3,
     "college_or_below"),
    ("Giá trị làm lợi từ 150 triệu đồng — trình độ đại học trở lên", 150_000_000, 1, "university_or_above"),
    ("Giá trị làm lợi từ 200 triệu đồng — cán bộ quản lý", 200_000_000, 1, "manager"),
]


def seed(apps, schema_editor):
    EligibilityRule = apps.get_model("awards", "EligibilityRule")
    for name, amount, years, applies_to in RULES:
        EligibilityRule.objects.get_or_create(
            award="federation_certificate",
            applies_to=applies_to,
            years=years,
            defaults={"name": name, "min_benefit_vnd": amount},
        )


def unseed(apps, schema_editor):
    EligibilityRule = apps.get_model("awards", "EligibilityRule")
    for name, amount, years, applies_to in RULES:
        EligibilityRule.objects.filter(
            award="federation_certificate", applies_to=applies_to, years=years, min_benefit_vnd=amount
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("awards", "0003_eligibilityrule_serialcounter_certificate")]

    operations = [migrations.RunPython(seed, unseed)]
