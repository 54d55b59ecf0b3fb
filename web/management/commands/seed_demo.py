"""The demo: the Vietnam Electricity sector union from the seeds, loaded through load_structure,
with initiatives created through the same actions the API uses, then each room's chapter of the
seeds' story (meetings, nominations and budgets, the library, a campaign, …). It lives in ``web``, the top room, because it
tells the story of every room below."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from awards.demo import demo_awards
from campaigns.demo import demo_campaigns
from councils.actions import user_update
from councils.models import Organisation, User
from initiatives.actions import initiative_create
from initiatives.imports import initiatives_import
from initiatives.models import Initiative
from library.demo import demo_library
from workflow.actions import (
    initiative_close,
    initiative_forward,
    initiative_submit,
    initiative_withdraw,
    vote_cast,
)
from workflow.demo.meetings import demo_meetings
from workflow.demo.story import demo_current_programme, demo_story
from workflow.structure import structure_load_file

DEMO = Path(__file__).resolve().parents[3] / "workflow" / "demo"
STRUCTURE = DEMO / "structure.json"
REGISTER = DEMO / "register.xlsx"  # EVNSPC's 222 (seed 000)
PASSWORD = "sangkien2026"
# The demo's deciders (twofactor.policy: admins, officers, chairs, secretaries, council members and
# substitutes) must sign in with a second factor; they all share this authenticator secret, printed
# with the logins, so that whoever runs `make run` adds it once to an authenticator app
# (`manage.py demo_otp_code` prints the code it shows now).
DEMO_TOTP_KEY = b"sangkien-demo-2026!!".hex()  # 20 bytes, as an authenticator expects

# the rooms' chapters of the story, in this order, after the dossiers above and the register; the
# last one records PC Bình Dương's move of 1/7/2025 (as a union's administrator records a move after
# the fact) and imports Hà Nội's and Thủ Đức's phase-2 registers
CHAPTERS = [demo_meetings, demo_awards, demo_library, demo_campaigns, demo_story]

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
    ("lan", gettext_lazy("tác giả, PC Bình Dương")),
    ("tuvan1", gettext_lazy("tổ tư vấn, PC Bình Dương")),
    ("hd1", gettext_lazy("chủ tịch hội đồng đơn vị, PC Bình Dương (hd2 thư ký, hd3)")),
    ("tct1", gettext_lazy("chủ tịch hội đồng Tổng công ty, EVNSPC (tct2, tct3)")),
    ("nganh1", gettext_lazy("chủ tịch hội đồng ngành, CĐ Điện lực VN (nganh2, nganh3)")),
    ("tld1", gettext_lazy("chủ tịch hội đồng Tổng Liên đoàn (tld2, tld3)")),
    (
        "hcm1",
        gettext_lazy("chủ tịch hội đồng Tổng công ty, EVNHCMC — PC Bình Dương thuộc EVNHCMC từ 1/7/2025 (hcm2, hcm3)"),
    ),
    ("canbo_spc", gettext_lazy("cán bộ công đoàn, EVNSPC")),
    ("canbo_pcbd", gettext_lazy("cán bộ công đoàn, PC Bình Dương (đề cử lên công đoàn cấp trên)")),
    ("kiemtra", gettext_lazy("kiểm tra, CĐ Điện lực VN")),
    ("minh", gettext_lazy("tác giả, PC Bình Thuận (hội đồng bỏ phiếu kín: hdbt1, hdbt2, hdbt3)")),
    ("quantri", gettext_lazy("quản trị (trang quản trị Django ở /admin/)")),
]


def _u(username):
    return User.objects.get(username=username)


def _decide(iid, voters, decision, closer, comment=""):
    for v in voters:
        vote_cast(initiative_id=iid, actor=_u(v), decision=decision, score=80, comment=comment)
    initiative_close(initiative_id=iid, actor=_u(closer))


class Command(BaseCommand):
    help = "Load the demo organisation tree, people and councils, and a handful of initiatives."

    def _story(self):
        """Drive the demo dossiers through the real actions, so every screen has something to show."""
        ids = list(Initiative.objects.order_by("id").values_list("id", flat=True))
        fuse, software, zalo, hanger, invoices, turbine, festival = ids[:7]
        pcbd_unit, spc, sector = ["hd1", "hd2", "hd3"], ["tct1", "tct2", "tct3"], ["nganh1", "nganh2", "nganh3"]
        # 1. all the way to a sector certificate
        initiative_submit(initiative_id=fuse, actor=_u("lan"))
        initiative_forward(initiative_id=fuse, actor=_u("tuvan1"))
        _decide(fuse, pcbd_unit, "approve", "hd1")
        _decide(fuse, spc, "approve", "tct1")
        _decide(fuse, sector, "certify", "nganh1")
        # 2. nominated for the federation's Bằng Lao động sáng tạo, waiting for its council
        initiative_submit(initiative_id=software, actor=_u("hung"))
        initiative_forward(initiative_id=software, actor=_u("tuvan1"))
        _decide(software, pcbd_unit, "approve", "hd2")
        _decide(software, spc, "approve", "tct2")
        _decide(software, sector, "nominate", "nganh2")
        # 3. submitted by the advisory team, waiting for it to forward
        initiative_submit(initiative_id=zalo, actor=_u("tuvan1"))
        # 4. before PC Bình Thuận's council (secret ballot): two votes cast, one to come
        initiative_submit(initiative_id=hanger, actor=_u("minh"))
        initiative_forward(initiative_id=hanger, actor=_u("tuvan_spc"))
        vote_cast(initiative_id=hanger, actor=_u("hdbt1"), decision="approve", score=85)
        vote_cast(initiative_id=hanger, actor=_u("hdbt2"), decision="approve", score=75)
        # 5. returned by the IT company's council with reasons
        initiative_submit(initiative_id=invoices, actor=_u("tam"))
        initiative_forward(initiative_id=invoices, actor=_u("tuvan_spc"))
        reason = "Cần bổ sung số liệu giá trị làm lợi đã kiểm chứng"
        _decide(invoices, ["hdit1", "hdit2", "hdit3"], "return", "hdit1", comment=reason)
        # 6. a unit directly under the sector union: from its council straight to sector review
        initiative_submit(initiative_id=turbine, actor=_u("thu"))
        initiative_forward(initiative_id=turbine, actor=_u("tuvan_td"))
        _decide(turbine, ["hdtd1", "hdtd2", "hdtd3"], "approve", "hdtd1")
        # 7. withdrawn by its author
        initiative_withdraw(initiative_id=festival, actor=_u("lan"), comment="Không phải sáng kiến kỹ thuật")

    def _authenticators(self):
        import base64

        from twofactor.actions import authenticator_install
        from twofactor.policy import second_factor_required

        for user in User.objects.order_by("username"):
            if second_factor_required(user):
                authenticator_install(user_id=user.pk, key_hex=DEMO_TOTP_KEY)
        secret = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
        self.stdout.write("")
        self.stdout.write(
            _(
                "Đăng nhập hai lớp: quản trị, cán bộ công đoàn và thành viên hội đồng nhập thêm mã 6 chữ số. "
                "Thêm khóa bí mật demo này vào ứng dụng xác thực (Google Authenticator, FreeOTP…): %(secret)s "
                "— hoặc lấy mã hiện tại bằng: python manage.py demo_otp_code"
            )
            % {"secret": secret}
        )

    def handle(self, *args, **options):
        from workflow import sealing

        try:  # the demo's story closes secret ballots: say so before writing anything
            sealing.current_key()
        except sealing.SealingUnavailable:
            raise CommandError(
                _(
                    "Dữ liệu demo có phiên bỏ phiếu kín nên cần khóa niêm phong phiếu: đặt BALLOT_SEALING_KEY "
                    "(hoặc chạy với DJANGO_DEBUG=1 để dùng khóa phát triển). Chưa ghi gì."
                )
            ) from None
        changes = structure_load_file(path=STRUCTURE)
        # the programme running today (1M-2026, after the seeds' 1M-2022): the demo's own dossiers,
        # drafted today and first applied in 2026, count in it and use its quotas
        changes += demo_current_programme()[1]
        self.stdout.write(_("Cấu trúc demo: %(n)s thay đổi") % {"n": changes})
        created = 0
        if not Initiative.objects.exists():
            # the story's notifications (co-authors asked, councils told…) would flood the console
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                for creator, unit, title, category, benefit, authors in DEMO_INITIATIVES:
                    names = [a for a, _ in authors] + [creator]
                    users = {u.username: u for u in User.objects.filter(username__in=names)}
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
                        applied_since=datetime.date(2026, 3, 1),
                    )
                    created += 1
                self._story()
                created += initiatives_import(path=REGISTER, actor=User.objects.get(username="quantri"))
                for chapter in CHAPTERS:
                    chapter()
        with transaction.atomic():  # through the action, so that the trail shows who made quantri a superuser
            quantri = User.objects.get(username="quantri")
            user_update(user_id=quantri.pk, actor=None, is_superuser=True, is_staff=True)
        self.stdout.write(_("Sáng kiến demo: %(n)s mới") % {"n": created})
        self._authenticators()
        self.stdout.write("")
        self.stdout.write(_("Đăng nhập demo (mật khẩu: %(password)s):") % {"password": PASSWORD})
        for username, what in LOGINS:
            self.stdout.write(f"  {username:<12} {what}")
