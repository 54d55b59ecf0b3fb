"""Reads over council meetings: who sees a council's meetings, the agenda as one person may see it
(titles and tallies under the dossiers' own visibility rules), the minutes as stored at the close.

Who sees a council's meetings: its members and substitutes, and officers, auditors and admins over
the council's organisation (anyone else: 404). On each item, a person who may not open the
dossier sees "a (confidential) dossier of unit X" instead of its title; one who may open it but
not its content (a confidential dossier outside its councils, advisory team, authors and auditors)
sees the title but no tally, no votes and no comments. Never a tally before the item's close;
never who voted what on a secret ballot (to anyone); on an open ballot, who voted (before the
close) and each vote with its voter (after), as the session's own minutes."""

from django.db.models import Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from councils.models import Council, CouncilKind, CouncilSubstitute, Membership
from initiatives.models import Initiative

from .meetings import live_session, may_run_meetings, seat_of
from .models import AttendanceSource, BallotCast, CouncilMeeting, MeetingItemStatus


def may_see_meetings(*, user, council: Council) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if council.kind == CouncilKind.ADVISORY:
        return False
    if user.is_superuser:
        return True
    if Membership.objects.filter(user=user, council=council).exists():
        return True
    if CouncilSubstitute.objects.filter(user=user, council=council).exists():
        return True
    org = council.organisation
    return any(user.has_perm(f"councils.{p}", org) for p in ("act_as_officer", "audit_in"))


def council_get_for_meetings(*, user, code: str) -> Council:
    """The council if ``user`` may see its meetings; ``Council.DoesNotExist`` (→ 404) otherwise."""
    council = Council.objects.select_related("organisation").get(code=code)
    if not may_see_meetings(user=user, council=council):
        raise Council.DoesNotExist
    return council


def meeting_get_visible(*, user, pk: int) -> CouncilMeeting:
    meeting = CouncilMeeting.objects.select_related(
        "council", "council__organisation", "scheduled_by", "closed_by"
    ).get(pk=pk)
    if not may_see_meetings(user=user, council=meeting.council):
        raise CouncilMeeting.DoesNotExist
    return meeting


def council_meetings(*, council: Council) -> QuerySet:
    return (
        CouncilMeeting.objects.filter(council=council)
        .select_related("council", "scheduled_by", "closed_by")
        .order_by("-held_on", "-pk")
    )


def upcoming_meetings(*, user) -> QuerySet:
    """Meetings not yet closed of the councils ``user`` sits on or substitutes for (the inbox)."""
    if not getattr(user, "is_authenticated", False):
        return CouncilMeeting.objects.none()
    councils = Membership.objects.filter(user=user).values("council_id")
    subs = CouncilSubstitute.objects.filter(user=user).values("council_id")
    return (
        CouncilMeeting.objects.filter(Q(council_id__in=councils) | Q(council_id__in=subs), closed_at__isnull=True)
        .select_related("council")
        .order_by("held_on", "pk")
    )


def meeting_councils(*, user) -> QuerySet:
    """The deciding councils whose meetings ``user`` finds from the home page: those they sit on."""
    councils = Membership.objects.filter(user=user).values("council_id")
    subs = CouncilSubstitute.objects.filter(user=user).values("council_id")
    return (
        Council.objects.filter(Q(pk__in=councils) | Q(pk__in=subs))
        .exclude(kind=CouncilKind.ADVISORY)
        .select_related("organisation")
        .order_by("code")
    )


def schedulable(*, council: Council) -> QuerySet:
    """The dossiers before ``council`` now that no open meeting of it holds yet (the form's choices)."""
    from .flows import STAGE_DECISIONS

    busy = CouncilMeeting.objects.filter(council=council, closed_at__isnull=True).values("items__initiative_id")
    return (
        Initiative.objects.filter(council=council, state__in=list(STAGE_DECISIONS))
        .exclude(pk__in=busy)
        .select_related("organisation")
        .order_by("due_at", "pk")
    )


def _visibility(user, initiatives) -> tuple[set, set]:
    """(ids ``user`` may open, ids whose whole content ``user`` may see) among ``initiatives``."""
    from .selectors import can_see_confidential, initiative_list

    ids = [i.pk for i in initiatives]
    opened = set(initiative_list(user=user).filter(pk__in=ids).values_list("pk", flat=True))
    content = {i.pk for i in initiatives if i.pk in opened and can_see_confidential(user=user, initiative=i)}
    return opened, content


def masked_title(*, confidential: bool, unit: str) -> str:
    if confidential:
        return _("một hồ sơ bảo mật của đơn vị %(unit)s") % {"unit": unit}
    return _("một hồ sơ của đơn vị %(unit)s") % {"unit": unit}


def _reason_text(reason: dict) -> str:
    language = (get_language() or "vi")[:2]
    return reason.get(language) or reason.get("vi") or next(iter(reason.values()), "")


def _shown_item(row: dict, *, opened: bool, content: bool) -> dict:
    """One item of the agenda or the minutes as this person may see it."""
    row = dict(row)
    row["title_visible"] = opened
    row["content_visible"] = content
    if not opened:
        row["title"] = masked_title(confidential=row["confidential"], unit=row["organisation"])
    if not content:
        for key in ("tally", "votes", "voters", "recused", "substitutes"):
            if key in row:
                row[key] = [] if key != "tally" else {}
        row.pop("session_minutes_pdf", None)
    if isinstance(row.get("reason"), dict):
        row["reason"] = _reason_text(row["reason"])
    return row


def _live_item(item, *, user) -> dict:
    session = live_session(item)
    initiative = item.initiative
    closed = session.closed_at is not None
    status = item.status
    if item.meeting.closed_at is None:
        status = MeetingItemStatus.DECIDED_BEFORE if closed and session.outcome else MeetingItemStatus.PENDING
    minutes = session.minutes if closed and session.outcome else {}
    voters = []
    if not session.is_secret:
        voters = sorted(BallotCast.objects.filter(session=session).values_list("voter__username", flat=True))
    row = {
        "position": item.position,
        "initiative": initiative.pk,
        "reference": initiative.reference,
        "title": initiative.title,
        "confidential": initiative.confidential,
        "organisation": initiative.organisation.code,
        "organisation_name": initiative.organisation.name,
        "state": initiative.state,
        "session": session.pk,
        "stage": session.stage,
        "ballot": session.ballot,
        "quorum": session.quorum,
        "status": status,
        "outcome": session.outcome if closed else "",
        "votes_cast": minutes.get("votes_cast") if minutes else session.casts.count(),
        "voters": voters,
        "tally": minutes.get("tally", {}),
        "votes": minutes.get("votes", []),
        "certificate": minutes.get("certificate"),
        "reason_code": item.reason_code,
        "reason": item.reason,
        "session_minutes_pdf": f"/api/v1/sessions/{session.pk}/minutes.pdf" if minutes else None,
    }
    return row


def meeting_detail(*, user, meeting: CouncilMeeting) -> dict:
    """The meeting as ``user`` sees it: agenda, present members, minutes once closed."""
    items = list(
        meeting.items.select_related("initiative", "initiative__organisation", "session", "session__council").order_by(
            "position"
        )
    )
    for item in items:
        item.meeting = meeting
    opened, content = _visibility(user, [it.initiative for it in items])
    agenda = [
        _shown_item(_live_item(it, user=user), opened=it.initiative_id in opened, content=it.initiative_id in content)
        for it in items
    ]
    minutes = None
    if meeting.closed_at is not None:
        minutes = dict(meeting.minutes)
        minutes["items"] = [
            _shown_item(r, opened=r["initiative"] in opened, content=r["initiative"] in content)
            for r in meeting.minutes.get("items", [])
        ]
        present = minutes.get("present", [])
    else:
        present = present_now(meeting=meeting, items=items)
    actions = []
    if meeting.closed_at is None and may_run_meetings(user=user, council=meeting.council):
        actions = ["attendance", "close"]
    return {
        "id": meeting.pk,
        "council": meeting.council.code,
        "council_name": meeting.council.name,
        "organisation": meeting.council.organisation.code,
        "held_on": meeting.held_on,
        "place": meeting.place,
        "state": "closed" if meeting.closed_at else "scheduled",
        "scheduled_by": meeting.scheduled_by.username,
        "scheduled_at": meeting.scheduled_at,
        "closed_by": meeting.closed_by.username if meeting.closed_by_id else None,
        "closed_at": meeting.closed_at,
        "present": present,
        "agenda": agenda,
        "minutes": minutes,
        "minutes_pdf": f"/api/v1/meetings/{meeting.pk}/minutes.pdf" if meeting.closed_at else None,
        "available_actions": actions,
    }


def present_now(*, meeting: CouncilMeeting, items=None) -> list[dict]:
    """Who is present so far: those marked, and those who voted on an item not decided before."""
    from .meetings import _seat_holders
    from .models import CouncilMeetingAttendance

    if items is None:
        items = list(meeting.items.select_related("session"))
    members, substitutes = _seat_holders(meeting.council)
    rows = {
        a.user.username: (a.user, a.source)
        for a in CouncilMeetingAttendance.objects.filter(meeting=meeting).select_related("user")
    }
    sessions = []
    for item in items:
        session = live_session(item)
        if not (session.closed_at and session.outcome):
            sessions.append(session.pk)
    for cast in BallotCast.objects.filter(session_id__in=sessions).select_related("voter"):
        rows.setdefault(cast.voter.username, (cast.voter, AttendanceSource.VOTED))
    return [
        {
            "username": name,
            "full_name": u.display_name,
            "seat": seat_of(u.pk, members, substitutes),
            "source": source,
        }
        for name, (u, source) in sorted(rows.items())
    ]


def attendance_choices(*, meeting: CouncilMeeting) -> list[dict]:
    """The members and substitutes of the council, each with whether they are present (the form)."""
    present = {p["username"]: p for p in present_now(meeting=meeting)}
    council = meeting.council
    rows = []
    for m in Membership.objects.filter(council=council).select_related("user").order_by("user__username"):
        rows.append({"user": m.user, "seat": m.role, "present": present.get(m.user.username)})
    for s in CouncilSubstitute.objects.filter(council=council).select_related("user").order_by("position"):
        rows.append({"user": s.user, "seat": "substitute", "present": present.get(s.user.username)})
    return rows


def dossier_meetings(*, user, initiative) -> list[CouncilMeeting]:
    """The meetings whose agenda holds ``initiative``, among those ``user`` may see (the dossier's page)."""
    meetings = (
        CouncilMeeting.objects.filter(items__initiative=initiative)
        .select_related("council", "council__organisation")
        .order_by("held_on", "pk")
    )
    seen = {}
    return [m for m in meetings if seen.setdefault(m.council_id, may_see_meetings(user=user, council=m.council))]
