"""The demo: the Vietnam Electricity sector union from the seeds, loaded through load_structure,
with initiatives created through the same actions the API uses."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from councils.models import Organisation, User
from initiatives.actions import initiative_create
from initiatives.imports import initiatives_import
from initiatives.models import Initiative
from workflow.structure import structure_load_file

STRUCTURE = Path(__file__).resolve().parents[2] / "demo" / "structure.json"
REGISTER = Path(__file__).resolve().parents[2] / "demo" / "register.xlsx"  # EVNSPC's 222 (seed 000)
PASSWORD = "sangkien2026"

DEMO_INITIATIVES = [
    # (creator, unit, title, category, benefit, authors)
    (
        "lan",
        "PCBD",
        "Dụng cụ thay cầu chì tự rơi không cần cắt điện",
        "technical",
        85_000_000,
        [("lan", 70), ("hung", 30)],
    ),
    (
        "hung",
        "PCBD",
        "Phần mềm theo dõi lịch bảo dưỡng máy biến áp phân phối",
        "technical",
        150_000_000,
        [("hung", 100)],
    ),
    ("tuvan1", "PCBD", "Quy trình tiếp nhận yêu cầu cấp điện qua Zalo", "management", 40_000_000, [("lan", 100)]),
    (
        "minh",
        "PCBTH",
        "Giá đỡ đa năng treo dây khi sửa chữa lưới điện hạ thế",
        "technical",
        95_000_000,
        [("minh", 100)],
    ),
    ("tam", "SPCIT", "Tự động hóa đối soát hóa đơn điện tử hằng tháng", "technical", 210_000_000, [("tam", 100)]),
    ("thu", "NDTD", "Cải tiến hệ thống làm mát ổ đỡ tua-bin khí", "technical", 320_000_000, [("thu", 100)]),
    ("lan", "PCBD", "Tổ chức ngày hội sáng kiến cho đoàn viên trẻ", "union", 0, [("lan", 100)]),
]

LOGINS = [
    ("lan", "tác giả / author, PC Bình Dương"),
    ("tuvan1", "tổ tư vấn / advisory team, PC Bình Dương"),
    ("hd1", "chủ tịch hội đồng đơn vị / unit council chair, PC Bình Dương (hd2 thư ký, hd3)"),
    ("tct1", "chủ tịch hội đồng Tổng công ty / corporation council chair, EVNSPC (tct2, tct3)"),
    ("nganh1", "chủ tịch hội đồng ngành / sector council chair, CĐ Điện lực VN (nganh2, nganh3)"),
    ("tld1", "chủ tịch hội đồng Tổng Liên đoàn / federation council chair (tld2, tld3)"),
    ("canbo_spc", "cán bộ công đoàn / union officer, EVNSPC"),
    ("kiemtra", "kiểm tra / auditor, CĐ Điện lực VN"),
    ("quantri", "quản trị / admin (Django admin at /admin/)"),
]


class Command(BaseCommand):
    help = "Load the demo organisation tree, people and councils, and a handful of initiatives."

    def handle(self, *args, **options):
        changes = structure_load_file(path=STRUCTURE)
        self.stdout.write(f"Cấu trúc demo / demo structure: {changes} thay đổi / changes")
        created = 0
        if not Initiative.objects.exists():
            for creator, unit, title, category, benefit, authors in DEMO_INITIATIVES:
                users = {u.username: u for u in User.objects.filter(username__in=[a for a, _ in authors] + [creator])}
                initiative_create(
                    actor=users[creator],
                    organisation=Organisation.objects.get(code=unit),
                    authors=[{"user": users[a], "share_percent": share} for a, share in authors],
                    title=title,
                    summary=f"{title}: giảm thời gian, tăng an toàn và hiệu quả.",
                    problem="Trước đây công việc làm thủ công, mất nhiều thời gian.",
                    solution="Giải pháp mới được áp dụng thử tại đơn vị và mang lại hiệu quả.",
                    category=category,
                    benefit_value_vnd=benefit,
                )
                created += 1
            created += initiatives_import(path=REGISTER, actor=User.objects.get(username="quantri"))
        with transaction.atomic():
            User.objects.filter(username="quantri").update(is_superuser=True, is_staff=True)
        self.stdout.write(f"Sáng kiến demo / demo initiatives: {created} mới / new")
        self.stdout.write("")
        self.stdout.write(f"Đăng nhập demo / demo logins (mật khẩu / password: {PASSWORD}):")
        for username, what in LOGINS:
            self.stdout.write(f"  {username:<12} {what}")
