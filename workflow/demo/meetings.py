"""The demo's council meeting (issue 10, item 1): PC Bình Dương's council decides several dossiers
in one sitting, with one set of minutes. Called by ``seed_demo`` after the rest of its story; the
dossiers are created and moved through the same actions as the API's."""

import datetime

from django.test.utils import override_settings
from django.utils import timezone

from councils.models import Council, Organisation, User
from initiatives.actions import authorship_decide, initiative_create
from workflow.actions import initiative_forward, initiative_submit, vote_cast
from workflow.meetings import meeting_attendance_set, meeting_close, meeting_schedule
from workflow.models import CouncilMeeting

COUNCIL = "PCBD-HD"
# (creator, title, category, benefit, authors, votes {member: (decision, comment)})
AGENDA = [
    (
        "hung",
        "Thiết bị cảnh báo quá tải trạm biến áp qua tin nhắn",
        "technical",
        120_000_000,
        [("hung", 100)],
        {"hd1": ("approve", ""), "hd2": ("approve", ""), "hd3": ("approve", "")},
    ),
    (
        "lan",
        "Sổ tay điện tử hướng dẫn an toàn cho công nhân mới",
        "management",
        35_000_000,
        [("lan", 60), ("hung", 40)],
        {"hd1": ("approve", ""), "hd2": ("approve", ""), "hd3": ("return", "Cần thêm số liệu áp dụng thực tế")},
    ),
    (
        "hung",
        "Thay sơn chống gỉ cho tủ điện ngoài trời",
        "technical",
        10_000_000,
        [("hung", 100)],
        {
            "hd1": ("reject", "Giải pháp đã được áp dụng tại đơn vị từ trước, không mới"),
            "hd2": ("reject", "Không mới trong đơn vị"),
            "hd3": ("reject", "Không mới trong đơn vị"),
        },
    ),
    (
        "lan",
        "Ứng dụng ghi chỉ số công tơ bằng ảnh chụp",
        "technical",
        60_000_000,
        [("lan", 100)],
        {"hd3": ("approve", "")},  # one vote of the three needed: it stays open, with its reason
    ),
]


def _u(username):
    return User.objects.get(username=username)


def demo_meetings() -> CouncilMeeting | None:
    """Hold one meeting of PC Bình Dương's council over four new dossiers: three decided (approve,
    approve by two thirds, reject), one left open for want of its quorum; the minutes written.
    Does nothing when the council already held a meeting (seed_demo run twice)."""
    council = Council.objects.filter(code=COUNCIL).first()
    if council is None or CouncilMeeting.objects.filter(council=council).exists():
        return None
    unit = Organisation.objects.get(code="PCBD")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        ids = []
        for creator, title, category, benefit, authors, _votes in AGENDA:
            initiative = initiative_create(
                actor=_u(creator),
                organisation=unit,
                authors=[{"user": _u(a), "share_percent": share} for a, share in authors],
                title=title,
                summary=f"{title}: giảm thời gian, tăng an toàn và hiệu quả.",
                problem="Trước đây công việc làm thủ công, mất nhiều thời gian.",
                solution="Giải pháp mới được áp dụng thử tại đơn vị và mang lại hiệu quả.",
                category=category,
                benefit_value_vnd=benefit,
                applied_since=datetime.date(2026, 4, 1),
            )
            for username, _share in authors:  # co-authors named by someone else confirm first
                if username != creator:
                    authorship_decide(initiative_id=initiative.pk, actor=_u(username), decision="confirm")
            initiative_submit(initiative_id=initiative.pk, actor=_u(creator))
            initiative_forward(initiative_id=initiative.pk, actor=_u("tuvan1"))
            ids.append(initiative.pk)
        meeting = meeting_schedule(
            council_id=council.pk,
            actor=_u("hd2"),
            held_on=timezone.localdate(),
            place="Hội trường Công ty Điện lực Bình Dương",
            initiatives=ids,
        )
        for iid, (*_rest, votes) in zip(ids, AGENDA, strict=True):
            for member, (decision, comment) in votes.items():
                vote_cast(initiative_id=iid, actor=_u(member), decision=decision, score=80, comment=comment)
        meeting_attendance_set(meeting_id=meeting.pk, actor=_u("hd2"), present=["hd1", "hd2", "hd3"])
        return meeting_close(meeting_id=meeting.pk, actor=_u("hd1"))
