"""The demo's library (issue 10, build 7): other units record that they apply the demo's recognised
initiatives, through the same action as the API and the pages. Idempotent: what is there already
is kept. ``seed_demo`` calls ``demo_library()`` after its story."""

from django.test.utils import override_settings

from councils.models import Organisation, User
from initiatives.models import Initiative

from .actions import adoption_record
from .models import Adoption
from .selectors import in_library_q

# (title of a demo initiative, the unit that applies it, the officer who records it, the note)
DEMO_ADOPTIONS = [
    (
        "Dụng cụ thay cầu chì tự rơi không cần cắt điện",
        "PCBTH",
        "canbo_pcbth",
        "Áp dụng cho các đội quản lý điện khu vực từ tháng 10/2022; giảm số lần cắt điện khi thay cầu chì.",
    ),
    (
        "Dụng cụ thay cầu chì tự rơi không cần cắt điện",
        "PCHK",
        "canbo_hn",
        "Nhân rộng tại Điện lực Hoàn Kiếm sau hội nghị chia sẻ sáng kiến của Ngành.",
    ),
    (
        "Phần mềm theo dõi lịch bảo dưỡng máy biến áp phân phối",
        "PCTN",
        "canbo_spc",
        "Triển khai thử cho 120 máy biến áp phân phối.",
    ),
    (
        "Cải tiến hệ thống làm mát ổ đỡ tua-bin khí",
        "EVNHANOI",
        "canbo_hn",
        "Tham khảo cho các trạm có tua-bin khí dự phòng.",
    ),
]


def demo_library() -> int:
    """Record the demo's adoptions; returns how many were new."""
    made = 0
    for title, unit, officer, note in DEMO_ADOPTIONS:
        initiative = Initiative.objects.filter(in_library_q(), title=title).order_by("pk").first()
        organisation = Organisation.objects.filter(code=unit).first()
        actor = User.objects.filter(username=officer).first()
        if initiative is None or organisation is None or actor is None:
            continue
        if Adoption.objects.filter(initiative=initiative, organisation=organisation).exists():
            continue
        # the authors are told (in the application; the demo's addresses get no mail)
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            adoption_record(initiative_id=initiative.pk, organisation=organisation, actor=actor, note=note)
        made += 1
    return made
