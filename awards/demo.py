"""The demo's awards story, after ``seed_demo``'s: nominations made at each level, the sector's
committee picking a nominated initiative among its monthly five, an ad-hoc commendation, and a
budget partly spent — all through the real actions. The lead's ``seed_demo`` calls
``demo_awards()`` once its own story is told."""

from django.test.utils import override_settings
from django.utils import timezone

from councils.models import Organisation, User
from initiatives.models import Initiative

from .actions import adhoc_commend, commendation_select, nominations_propose
from .models import Nomination
from .selectors import is_recognised


def _u(username):
    return User.objects.get(username=username)


def _org(code):
    return Organisation.objects.get(code=code)


def _recognised(title_start):
    i = Initiative.objects.filter(title__startswith=title_start).order_by("id").first()
    return i if i is not None and is_recognised(i) else None


def demo_awards() -> dict:
    """Tell the awards story once (a second call changes nothing). Returns what it made."""
    if Nomination.objects.exists():
        return {"nominations": 0, "commendations": 0, "adhoc": 0}
    fuse = _recognised("Dụng cụ thay cầu chì")  # PC Bình Dương, sector-certified in seed_demo's story
    software = _recognised("Phần mềm theo dõi lịch bảo dưỡng")  # PC Bình Dương, before the federation
    turbine = _recognised("Cải tiến hệ thống làm mát")  # Nhiệt điện Thủ Đức, directly under the sector
    month = timezone.localdate().replace(day=1)
    made = {"nominations": 0, "commendations": 0, "adhoc": 0}
    # the story's mails (authors and officers told of their commendation) would flood the console
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        unit = [i.pk for i in (fuse, software) if i]
        if unit:  # 1. the unit's officer proposes its month's best to the corporation
            made["nominations"] += len(
                nominations_propose(
                    organisation=_org("PCBD"),
                    month=month,
                    initiative_ids=unit,
                    comment="Hai sáng kiến đã áp dụng toàn công ty, giảm rõ thời gian mất điện khách hàng.",
                    actor=_u("canbo_pcbd"),
                )
            )
        if fuse:  # 2. the corporation passes one up to the sector union
            made["nominations"] += len(
                nominations_propose(
                    organisation=_org("EVNSPC"),
                    month=month,
                    initiative_ids=[fuse.pk],
                    comment="Tổng công ty đề cử: nhân rộng được cho mọi công ty điện lực.",
                    actor=_u("canbo_spc"),
                )
            )
        if turbine:  # 3. a unit directly under the sector: its council proposes straight to the sector
            made["nominations"] += len(
                nominations_propose(
                    organisation=_org("NDTD"),
                    month=month,
                    initiative_ids=[turbine.pk],
                    comment="Giá trị làm lợi lớn nhất đơn vị trong năm.",
                    actor=_u("hdtd1"),
                )
            )
        if fuse:  # 4. the sector's committee picks the nominated one among its five (1 M VND)
            made["commendations"] += len(
                commendation_select(
                    organisation=_org("CDDLVN"), month=month, initiative_ids=[fuse.pk], actor=_u("nganh1")
                )
            )
        if software:  # 5. an ad-hoc commendation from the corporation's budget
            adhoc_commend(
                organisation=_org("EVNSPC"),
                initiative_id=software.pk,
                reason="Khen thưởng đột xuất: phần mềm giúp phát hiện sớm máy biến áp quá tải mùa nắng nóng.",
                amount_vnd=5_000_000,
                actor=_u("canbo_spc"),
            )
            made["adhoc"] += 1
    return made
