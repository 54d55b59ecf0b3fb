"""The minutes of a council session as a printable A4 PDF: a Vietnamese document (whatever the
reader's interface language) with the council's letterhead, the dossier, the rules the session ran
under, the tally, each vote (with its voter on an open ballot, never on a secret one), the decision
and signature lines for the secretary and the chair. Drawn from the minutes stored at the close
(``CouncilSession.minutes``), so the document says exactly what the trail recorded."""

import io

from django.utils import timezone, translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from config.pdf import RED, document_font, letterhead, vietnamese_date
from councils.models import MemberRole, Membership, User
from initiatives.models import State

from .models import CouncilSession, Decision

MARGIN = 56


def _when(value) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(value)
    return f"{timezone.localtime(value):%d/%m/%Y %H:%M}"


class _Page:
    """A top-down writer that wraps lines and starts a new page when the current one is full."""

    def __init__(self, c, regular, bold, width, height):
        self.c, self.regular, self.bold, self.width, self.height = c, regular, bold, width, height
        self.y = height - MARGIN

    def need(self, space):
        if self.y - space < MARGIN:
            self.c.showPage()
            self.y = self.height - MARGIN

    def line(self, text, *, bold=False, size=11, indent=0, gap=3):
        font = self.bold if bold else self.regular
        for part in simpleSplit(text, font, size, self.width - 2 * MARGIN - indent) or [""]:
            self.need(size + gap)
            self.c.setFont(font, size)
            self.c.drawString(MARGIN + indent, self.y, part)
            self.y -= size + gap

    def space(self, points=6):
        self.y -= points


def minutes_pdf(*, session: CouncilSession) -> bytes:
    with translation.override("vi"):
        return _draw(session)


def _names(usernames) -> list[str]:
    users = {u.username: u.display_name for u in User.objects.filter(username__in=list(usernames))}
    return [users.get(name, name) for name in usernames]


def _draw(session: CouncilSession) -> bytes:
    regular, bold = document_font()
    minutes = session.minutes or {}
    council = session.council
    initiative = session.initiative
    buf = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"Biên bản phiên xét {initiative.reference} — {council.name or council.code}")
    c.setAuthor(council.organisation.name)
    letterhead(
        c,
        body=council.organisation.name,
        number=f"Số: {session.pk}/BB-{council.code}",
        width=width,
        top=height - 50,
        bold=bold,
        regular=regular,
    )
    page = _Page(c, regular, bold, width, height)
    page.y = height - 130
    c.setFillColor(RED)
    c.setFont(bold, 16)
    c.drawCentredString(width / 2, page.y, "BIÊN BẢN PHIÊN XÉT SÁNG KIẾN")
    c.setFillColor(colors.black)
    page.y -= 26

    page.line(f"Hội đồng: {council.name} ({council.code})" if council.name else f"Hội đồng: {council.code}", bold=True)
    page.line(f"Sáng kiến: {initiative.reference} — {initiative.title}")
    page.line(f"Đơn vị: {initiative.organisation.name}")
    page.line(f"Giai đoạn: {State(session.stage).label if session.stage in State.values else session.stage}")
    page.line(f"Phiên bản hồ sơ được xét: {session.dossier_version}")
    page.line(
        f"Mở phiên: {_when(session.opened_at)}; hạn quyết định: {_when(session.due_at)}; "
        f"kết thúc: {_when(session.closed_at)}"
    )
    page.space()

    if minutes.get("voided"):
        page.line("Phiên đã bị hủy để biểu quyết lại", bold=True)
        page.line(f"Số phiếu đã bỏ (bị hủy): {minutes.get('votes_cast', 0)}")
        page.line(f"Lý do: {minutes.get('reason') or '—'}")
    else:
        ballot = "bỏ phiếu kín" if minutes.get("ballot") == "secret" else "biểu quyết công khai"
        page.line(f"Hình thức: {ballot}; tỷ lệ thông qua: {minutes.get('threshold', '—')}")
        page.line(
            f"Thành viên hội đồng: {minutes.get('members', '—')}; được biểu quyết: {minutes.get('eligible', '—')}; "
            f"số phiếu tối thiểu: {minutes.get('quorum', '—')}; số phiếu đã bỏ: {minutes.get('votes_cast', 0)}"
        )
        if minutes.get("recused"):
            page.line(f"Không biểu quyết (là tác giả): {', '.join(_names(minutes['recused']))}")
        if minutes.get("substitutes"):
            page.line(f"Người dự khuyết ngồi thay: {', '.join(_names(minutes['substitutes']))}")
        page.space()
        page.line("Kết quả kiểm phiếu", bold=True)
        for decision, count in (minutes.get("tally") or {}).items():
            label = Decision(decision).label if decision in Decision.values else decision
            page.line(f"{label}: {count} phiếu", indent=14)
        if minutes.get("average_score") is not None:
            page.line(f"Điểm trung bình: {minutes['average_score']}", indent=14)
        page.space()
        page.line("Các phiếu", bold=True)
        for vote in minutes.get("votes") or []:
            label = Decision(vote["decision"]).label if vote["decision"] in Decision.values else vote["decision"]
            who = f"{vote.get('voter_name') or vote['voter']}: " if vote.get("voter") else "• "
            score = f" — điểm {vote['score']}" if vote.get("score") is not None else ""
            comment = f" — «{vote['comment']}»" if vote.get("comment") else ""
            page.line(f"{who}{label}{score}{comment}", indent=14)
        if minutes.get("ballot") == "secret":
            page.line("(Bỏ phiếu kín: biên bản không ghi ai bỏ phiếu nào.)", indent=14, size=9)
        page.space()
        outcome = minutes.get("outcome") or session.outcome
        page.line(
            f"Quyết định của hội đồng: {Decision(outcome).label if outcome in Decision.values else '—'}", bold=True
        )
        if minutes.get("comment"):
            page.line(f"Ý kiến / lý do: {minutes['comment']}")
        if minutes.get("certificate"):
            page.line(f"Số hiệu chứng nhận đã cấp: {minutes['certificate']}")

    # the signature lines: the secretary and the chair of the council
    page.need(150)
    page.y -= 20
    c.setFont(regular, 11)
    closed = session.closed_at or timezone.now()
    c.drawCentredString(width * 0.72, page.y, vietnamese_date(closed).capitalize())
    page.y -= 20
    roles = dict(
        Membership.objects.filter(council=council, role__in=[MemberRole.CHAIR, MemberRole.SECRETARY])
        .select_related("user")
        .values_list("role", "user__full_name")
    )
    for x, title, role in (
        (width * 0.28, "THƯ KÝ", MemberRole.SECRETARY),
        (width * 0.72, "CHỦ TỊCH HỘI ĐỒNG", MemberRole.CHAIR),
    ):
        c.setFont(bold, 11)
        c.drawCentredString(x, page.y, title)
        c.setFont(regular, 9)
        c.drawCentredString(x, page.y - 13, "(Ký, ghi rõ họ tên)")
        c.setFont(bold, 11)
        c.drawCentredString(x, page.y - 90, roles.get(role) or "")
    c.showPage()
    c.save()
    return buf.getvalue()


# --- the minutes of a council meeting: one document for every dossier it decided -----------------

ITEM_STATUS_VI = {
    "decided": "Đã quyết định",
    "decided_before": "Đã quyết định trước cuộc họp (phiên xét riêng)",
    "stayed_open": "Chưa quyết định được, phiên xét vẫn mở",
}
SEAT_VI = {"chair": "Chủ tịch", "secretary": "Thư ký", "member": "Thành viên", "substitute": "Người dự khuyết"}


def meeting_minutes_pdf(*, meeting, shown: dict) -> bytes:
    """The meeting's minutes (``CouncilMeeting.minutes``, as ``shown`` to the reader by
    ``workflow.meeting_selectors.meeting_detail``: titles and tallies under the dossiers' rules)."""
    with translation.override("vi"):
        return _draw_meeting(meeting, shown)


def _draw_meeting(meeting, shown: dict) -> bytes:
    regular, bold = document_font()
    minutes = shown.get("minutes") or {}
    council = meeting.council
    buf = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"Biên bản họp {council.name or council.code} ngày {meeting.held_on:%d/%m/%Y}")
    c.setAuthor(council.organisation.name)
    letterhead(
        c,
        body=council.organisation.name,
        number=f"Số: {meeting.pk}/BBH-{council.code}",
        width=width,
        top=height - 50,
        bold=bold,
        regular=regular,
    )
    page = _Page(c, regular, bold, width, height)
    page.y = height - 130
    c.setFillColor(RED)
    c.setFont(bold, 16)
    c.drawCentredString(width / 2, page.y, "BIÊN BẢN HỌP HỘI ĐỒNG XÉT DUYỆT SÁNG KIẾN")
    c.setFillColor(colors.black)
    page.y -= 26

    page.line(f"Hội đồng: {council.name} ({council.code})" if council.name else f"Hội đồng: {council.code}", bold=True)
    page.line(f"Thời gian: ngày {meeting.held_on:%d/%m/%Y}; địa điểm: {meeting.place}")
    ballot = "bỏ phiếu kín" if council.ballot == "secret" else "biểu quyết công khai"
    page.line(f"Hình thức biểu quyết: {ballot}; số phiếu tối thiểu: {council.quorum}")
    present = minutes.get("present") or []
    page.line(f"Thành viên hội đồng: {minutes.get('members', '—')}; có mặt: {len(present)}")
    for p in present:
        how = " (đã biểu quyết)" if p.get("source") == "voted" else ""
        page.line(f"• {p['full_name']} — {SEAT_VI.get(p.get('seat'), p.get('seat') or '')}{how}", indent=14)
    page.space()
    page.line(
        f"Chương trình họp: {len(minutes.get('items') or [])} hồ sơ; quyết định tại cuộc họp: "
        f"{minutes.get('decided', 0)}; đã quyết định trước: {minutes.get('decided_before', 0)}; "
        f"chưa quyết định được: {minutes.get('stayed_open', 0)}",
        bold=True,
    )
    for item in minutes.get("items") or []:
        page.space(4)
        page.line(f"{item['position']}. {item['reference']} — {item['title']}", bold=True)
        page.line(f"Đơn vị: {item.get('organisation_name') or item.get('organisation')}", indent=14)
        status = ITEM_STATUS_VI.get(item.get("status"), item.get("status"))
        page.line(f"Tình trạng: {status}; số phiếu đã bỏ: {item.get('votes_cast', 0)}", indent=14)
        if item.get("tally"):
            parts = [
                f"{Decision(d).label if d in Decision.values else d}: {n}" for d, n in sorted(item["tally"].items())
            ]
            page.line("Kết quả kiểm phiếu: " + "; ".join(parts), indent=14)
        for vote in item.get("votes") or []:
            if not vote.get("voter"):
                continue  # a secret ballot's minutes never say who voted what
            label = Decision(vote["decision"]).label if vote["decision"] in Decision.values else vote["decision"]
            page.line(f"{vote.get('voter_name') or vote['voter']}: {label}", indent=28, size=10)
        if item.get("ballot") == "secret" and item.get("tally"):
            page.line("(Bỏ phiếu kín: biên bản không ghi ai bỏ phiếu nào.)", indent=28, size=9)
        if item.get("outcome"):
            label = Decision(item["outcome"]).label if item["outcome"] in Decision.values else item["outcome"]
            page.line(f"Quyết định của hội đồng: {label}", indent=14, bold=True)
        if item.get("certificate"):
            page.line(f"Số hiệu chứng nhận đã cấp: {item['certificate']}", indent=14)
        if item.get("status") == "stayed_open":
            page.line(f"Lý do: {item.get('reason') or '—'} ({item.get('reason_code')})", indent=14)
    page.space()
    page.line(f"Người kết thúc cuộc họp: {minutes.get('closed_by_name') or '—'}; lúc {_when(minutes.get('closed_at'))}")

    page.need(150)
    page.y -= 20
    c.setFont(regular, 11)
    c.drawCentredString(width * 0.72, page.y, vietnamese_date(meeting.closed_at or timezone.now()).capitalize())
    page.y -= 20
    roles = dict(
        Membership.objects.filter(council=council, role__in=[MemberRole.CHAIR, MemberRole.SECRETARY])
        .select_related("user")
        .values_list("role", "user__full_name")
    )
    for x, title, role in (
        (width * 0.28, "THƯ KÝ", MemberRole.SECRETARY),
        (width * 0.72, "CHỦ TỊCH HỘI ĐỒNG", MemberRole.CHAIR),
    ):
        c.setFont(bold, 11)
        c.drawCentredString(x, page.y, title)
        c.setFont(regular, 9)
        c.drawCentredString(x, page.y - 13, "(Ký, ghi rõ họ tên)")
        c.setFont(bold, 11)
        c.drawCentredString(x, page.y - 90, roles.get(role) or "")
    c.showPage()
    c.save()
    return buf.getvalue()
