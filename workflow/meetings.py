"""Council meetings (issue 10, item 1): the chair or the secretary schedules a sitting of the council
with an agenda of the dossiers before it, marks who is present, and closes it. The close decides
every item that can be decided, each exactly as the dossier's own close would
(``workflow.actions.initiative_close``: its tally, outcome, effects, audit entry and notifications),
each in a savepoint of the meeting's one transaction, so that an item that cannot close (quorum not
reached, a recused chair, quota exhausted …) stays open, is listed with its reason, and never
undoes another item's decision. The meeting's minutes are written at its close.

Actions, in the house pattern: lock, check permission against this council, check state, validate,
change, audit, schedule side effects on commit."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.actions import audit_record
from councils.models import Council, CouncilKind, CouncilSubstitute, Membership, User
from initiatives.exceptions import ApplicationError
from initiatives.models import Initiative

from .flows import STAGE_DECISIONS
from .models import (
    AttendanceSource,
    BallotCast,
    CouncilMeeting,
    CouncilMeetingAttendance,
    CouncilMeetingItem,
    CouncilSession,
    MeetingItemStatus,
)

MAX_ITEMS = 100
MAX_PLACE = 255
MAX_PRESENT = 500


def may_run_meetings(*, user, council: Council) -> bool:
    """The chair or the secretary of a deciding council (the permission that closes its sessions)."""
    return (
        council.kind != CouncilKind.ADVISORY
        and bool(getattr(user, "is_authenticated", False))
        and user.has_perm("councils.close_session", council)
    )


def _deny_runner(council):
    raise PermissionDenied(
        _("Chỉ chủ tịch hoặc thư ký hội đồng %(council)s được lên lịch, ghi nhận người dự và kết thúc cuộc họp")
        % {"council": council.code}
    )


def _lock_meeting(meeting_id: int) -> CouncilMeeting:
    return (
        CouncilMeeting.objects.select_for_update(of=("self",))
        .select_related("council", "council__organisation")
        .get(pk=meeting_id)
    )


def _refuse_closed(meeting):
    if meeting.closed_at is not None:
        raise ApplicationError(
            _("Cuộc họp đã kết thúc lúc %(at)s; biên bản không thay đổi nữa")
            % {"at": f"{timezone.localtime(meeting.closed_at):%d/%m/%Y %H:%M}"},
            code="meeting_closed",
        )


def _parse_held_on(value, errors):
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and len(value) <= 10:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    if value in (None, ""):
        errors["held_on"] = [_("Cần ngày họp (held_on, dạng YYYY-MM-DD)")]
    else:
        errors["held_on"] = [_("Ngày họp phải có dạng YYYY-MM-DD, ví dụ 2026-12-15")]
    return None


def _parse_place(value, errors):
    if value is None or not isinstance(value, str) or not value.strip():
        errors["place"] = [_("Cần địa điểm họp (place)")]
        return ""
    if len(value.strip()) > MAX_PLACE:
        errors["place"] = [_("Địa điểm họp dài quá %(max)d ký tự") % {"max": MAX_PLACE}]
        return ""
    return value.strip()


def _parse_ids(value, errors) -> list[int]:
    if not isinstance(value, list | tuple) or not value:
        errors["initiatives"] = [_("Cần danh sách mã số hồ sơ đưa vào chương trình họp (initiatives), ít nhất một")]
        return []
    if len(value) > MAX_ITEMS:
        errors["initiatives"] = [_("Một cuộc họp xét tối đa %(max)d hồ sơ") % {"max": MAX_ITEMS}]
        return []
    ids, bad, twice = [], [], []
    for raw in value:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            bad.append(str(raw)[:20])
            continue
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit() and 0 < int(text) < 2**63):
            bad.append(text[:20])
            continue
        number = int(text)
        (twice if number in ids else ids).append(number)
    if bad:
        errors["initiatives"] = [
            _("“%(values)s” không phải mã số hồ sơ (số nguyên dương)") % {"values": ", ".join(bad[:5])}
        ]
    elif twice:
        errors["initiatives"] = [
            _("Hồ sơ %(ids)s được ghi hai lần trong chương trình họp") % {"ids": ", ".join(map(str, twice[:5]))}
        ]
    return ids


def _on_open_meeting(council, initiative_ids) -> dict[int, int]:
    """{initiative id: meeting id} of the dossiers already on an agenda of this council not yet closed."""
    return dict(
        CouncilMeetingItem.objects.filter(
            meeting__council=council, meeting__closed_at__isnull=True, initiative_id__in=list(initiative_ids)
        ).values_list("initiative_id", "meeting_id")
    )


@transaction.atomic(durable=True)
def meeting_schedule(*, council_id: int, actor, held_on, place, initiatives) -> CouncilMeeting:
    """Schedule a meeting of ``council`` with an agenda of ``initiatives`` (ids), each of which must
    be before this council now (its open session is with this council). 400 naming ``initiatives``
    (and the id) otherwise; 403 for anyone but the chair or the secretary."""
    council = Council.objects.select_for_update().select_related("organisation").get(pk=council_id)
    if not may_run_meetings(user=actor, council=council):
        _deny_runner(council)
    errors = {}
    day = _parse_held_on(held_on, errors)
    where = _parse_place(place, errors)
    ids = _parse_ids(initiatives, errors)
    dossiers = []
    if ids and "initiatives" not in errors:
        found = {
            i.pk: i
            for i in Initiative.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("organisation", "council")
        }
        busy = _on_open_meeting(council, ids)
        wrong, taken = [], []
        for pk in ids:
            initiative = found.get(pk)
            if initiative is None or initiative.council_id != council.pk or initiative.state not in STAGE_DECISIONS:
                wrong.append(pk)
            elif pk in busy:
                taken.append((pk, busy[pk]))
            else:
                dossiers.append(initiative)
        messages = []
        for pk in wrong:
            messages.append(
                _("Hồ sơ %(id)s không ở trước hội đồng %(council)s lúc này (không có phiên xét đang mở tại hội đồng)")
                % {"id": pk, "council": council.code}
            )
        for pk, other in taken:
            messages.append(
                _("Hồ sơ %(id)s đã có trong chương trình cuộc họp số %(meeting)s chưa kết thúc")
                % {"id": pk, "meeting": other}
            )
        if messages:
            errors["initiatives"] = messages
    if errors:
        raise ValidationError(errors)
    from .actions import current_session

    now = timezone.now()
    meeting = CouncilMeeting.objects.create(
        council=council, held_on=day, place=where, scheduled_by=actor, scheduled_at=now
    )
    for position, initiative in enumerate(dossiers, start=1):
        session = current_session(initiative)  # opened now for a dossier imported before its council
        CouncilMeetingItem.objects.create(meeting=meeting, position=position, initiative=initiative, session=session)
    audit_record(
        actor=actor,
        action="meeting_schedule",
        obj=meeting,
        details={
            "meeting": meeting.pk,
            "council": council.code,
            "held_on": day.isoformat(),
            "place": where,
            "initiatives": [i.pk for i in dossiers],
        },
    )
    from notifications.outbox import outbox_enqueue

    from .tasks import notify_meeting_scheduled

    outbox_enqueue(notify_meeting_scheduled, meeting_id=meeting.pk)
    return meeting


def _seat_holders(council) -> tuple[dict, set]:
    """({user id: role} of the members, {user ids} of the substitutes)."""
    members = dict(Membership.objects.filter(council=council).values_list("user_id", "role"))
    substitutes = set(CouncilSubstitute.objects.filter(council=council).values_list("user_id", flat=True))
    return members, substitutes


@transaction.atomic(durable=True)
def meeting_attendance_set(*, meeting_id: int, actor, present) -> CouncilMeeting:
    """The chair or the secretary records who is present (usernames of members and substitutes):
    the marked list is replaced; those counted because they voted stay."""
    meeting = _lock_meeting(meeting_id)
    council = meeting.council
    if not may_run_meetings(user=actor, council=council):
        _deny_runner(council)
    _refuse_closed(meeting)
    if not isinstance(present, list | tuple) or len(present) > MAX_PRESENT:
        raise ValidationError({"present": [_("Cần danh sách tên đăng nhập của người có mặt (present)")]})
    names = []
    for raw in present:
        if not isinstance(raw, str) or not raw.strip() or len(raw) > 150:
            raise ValidationError({"present": [_("Cần danh sách tên đăng nhập của người có mặt (present)")]})
        if raw.strip() not in names:
            names.append(raw.strip())
    members, substitutes = _seat_holders(council)
    people = {u.username: u for u in User.objects.filter(username__in=names)}
    unknown = [n for n in names if n not in people or people[n].pk not in members and people[n].pk not in substitutes]
    if unknown:
        raise ValidationError(
            {
                "present": [
                    _("%(names)s không phải thành viên hay người dự khuyết của hội đồng %(council)s")
                    % {"names": ", ".join(n[:40] for n in unknown[:5]), "council": council.code}
                ]
            }
        )
    now = timezone.now()
    chosen = {people[n].pk for n in names}
    CouncilMeetingAttendance.objects.filter(meeting=meeting, source=AttendanceSource.MARKED).exclude(
        user_id__in=chosen
    ).delete()
    already = set(CouncilMeetingAttendance.objects.filter(meeting=meeting).values_list("user_id", flat=True))
    CouncilMeetingAttendance.objects.bulk_create(
        [
            CouncilMeetingAttendance(meeting=meeting, user_id=pk, recorded_by=actor, recorded_at=now)
            for pk in sorted(chosen - already)
        ]
    )
    audit_record(
        actor=actor,
        action="meeting_attendance",
        obj=meeting,
        details={"meeting": meeting.pk, "council": council.code, "present": sorted(names)},
    )
    return meeting


class _Undo(Exception):
    """Rolls back a savepoint that only asked what a close would say."""


REFUSALS = (ApplicationError, PermissionDenied, ValidationError)


def _refusal(error) -> tuple[str, str]:
    """(code, message) of a close that refused."""
    if isinstance(error, ApplicationError):
        return error.code, str(error.detail)
    if isinstance(error, PermissionDenied):
        return "forbidden", str(error) or _("Bạn không có quyền thực hiện thao tác này ở đây.")
    messages = error.messages if hasattr(error, "messages") else [str(error)]
    return "invalid", "; ".join(str(m) for m in messages)


def _close_one(*, initiative_id: int, actor):
    """The dossier's own close, in the caller's transaction (the action's body without its durable
    wrapper: ``transaction.atomic`` keeps the function it decorates as ``__wrapped__``)."""
    from .actions import initiative_close

    return initiative_close.__wrapped__(initiative_id=initiative_id, actor=actor, comment="")


def _attempt(item, actor) -> tuple[str, dict] | None:
    """Close one item in a savepoint. None when it closed; else (code, {language: message}) — the
    reason in each language of the site, asked again in a savepoint that is always rolled back."""
    try:
        with transaction.atomic():
            _close_one(initiative_id=item.initiative_id, actor=actor)
        return None
    except REFUSALS as e:
        code, message = _refusal(e)
    reasons = {translation.get_language() or settings.LANGUAGE_CODE: message}
    for language, _name in settings.LANGUAGES:
        if language in reasons:
            continue
        with translation.override(language):
            try:
                with transaction.atomic():
                    _close_one(initiative_id=item.initiative_id, actor=actor)
                    raise _Undo
            except _Undo:
                reasons[language] = message
            except REFUSALS as e:
                reasons[language] = _refusal(e)[1]
    return code, reasons


def _not_before(item, council) -> tuple[str, dict]:
    reasons = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            reasons[language] = _("Hồ sơ không còn ở trước hội đồng %(council)s") % {"council": council.code}
    return "not_before_council", reasons


def live_session(item) -> CouncilSession:
    """The session an item is decided in: the one it was scheduled with, or — when a restart voided
    that round — the round open now at the same council."""
    session = item.session
    if session.closed_at is not None and not session.outcome:
        fresh = (
            CouncilSession.objects.filter(
                initiative_id=item.initiative_id, council_id=session.council_id, closed_at__isnull=True
            )
            .order_by("-pk")
            .first()
        )
        if fresh is not None:
            return fresh
    return session


def _close_item(meeting, item, actor) -> None:
    # the dossier's row first (as its own close locks it), then what its sessions say now: a close
    # of the dossier alone that committed a moment ago is seen here, never closed twice
    council_id = (
        Initiative.objects.select_for_update(of=("self",))
        .filter(pk=item.initiative_id)
        .values_list("council_id", flat=True)
        .get()
    )
    item.session.refresh_from_db()
    session = live_session(item)
    item.session = session
    if session.closed_at is None and (council_id != meeting.council_id or session.council_id != meeting.council_id):
        item.status = MeetingItemStatus.STAYED_OPEN
        item.reason_code, item.reason = _not_before(item, meeting.council)
        return
    if session.closed_at is not None:
        if session.outcome:  # decided by its own close before the meeting's
            item.status, item.outcome = MeetingItemStatus.DECIDED_BEFORE, session.outcome
        else:
            item.status = MeetingItemStatus.STAYED_OPEN
            item.reason_code, item.reason = _not_before(item, meeting.council)
        return
    refused = _attempt(item, actor)
    if refused is None:
        session.refresh_from_db(fields=["closed_at", "outcome", "minutes", "closed_by"])
        item.status, item.outcome = MeetingItemStatus.DECIDED, session.outcome
    else:
        item.status = MeetingItemStatus.STAYED_OPEN
        item.reason_code, item.reason = refused


def _present_rows(meeting, items, actor, now) -> list[CouncilMeetingAttendance]:
    """Who was present: those marked, and everyone who voted on an item the meeting decided or left
    open (recorded now as present by their vote)."""
    sessions = [it.session_id for it in items if it.status != MeetingItemStatus.DECIDED_BEFORE]
    voters = set(BallotCast.objects.filter(session_id__in=sessions).values_list("voter_id", flat=True))
    marked = set(CouncilMeetingAttendance.objects.filter(meeting=meeting).values_list("user_id", flat=True))
    CouncilMeetingAttendance.objects.bulk_create(
        [
            CouncilMeetingAttendance(
                meeting=meeting, user_id=pk, source=AttendanceSource.VOTED, recorded_by=None, recorded_at=now
            )
            for pk in sorted(voters - marked)
        ]
    )
    return list(CouncilMeetingAttendance.objects.filter(meeting=meeting).select_related("user"))


def seat_of(user_id, members: dict, substitutes: set) -> str:
    return members.get(user_id) or ("substitute" if user_id in substitutes else "")


def _item_minutes(item) -> dict:
    initiative = item.initiative
    session = item.session
    minutes = session.minutes if session.closed_at and session.outcome else {}
    row = {
        "position": item.position,
        "initiative": initiative.pk,
        "reference": initiative.reference,
        "title": initiative.title,
        "confidential": initiative.confidential,
        "organisation": initiative.organisation.code,
        "organisation_name": initiative.organisation.name,
        "session": session.pk,
        "stage": session.stage,
        "ballot": session.ballot,
        "quorum": session.quorum,
        "status": item.status,
        "outcome": item.outcome,
        "votes_cast": minutes.get("votes_cast", session.casts.count()),
        "tally": minutes.get("tally", {}),
        "votes": minutes.get("votes", []),
        "recused": minutes.get("recused", []),
        "substitutes": minutes.get("substitutes", []),
        "certificate": minutes.get("certificate"),
        "state": initiative.state,
    }
    if item.status == MeetingItemStatus.STAYED_OPEN:
        row.update(reason_code=item.reason_code, reason=item.reason)
    return row


@transaction.atomic(durable=True)
def meeting_close(*, meeting_id: int, actor) -> CouncilMeeting:
    """Close every item of the agenda that can be closed and write the meeting's minutes."""
    meeting = _lock_meeting(meeting_id)
    council = meeting.council
    if not may_run_meetings(user=actor, council=council):
        _deny_runner(council)
    _refuse_closed(meeting)
    items = list(meeting.items.select_related("initiative", "initiative__organisation", "session").order_by("position"))
    for item in items:
        _close_item(meeting, item, actor)
        item.save(update_fields=["session", "status", "outcome", "reason_code", "reason"])
        item.initiative.refresh_from_db(fields=["state"])
    now = timezone.now()
    attendance = _present_rows(meeting, items, actor, now)
    members, substitutes = _seat_holders(council)
    present = sorted(
        (
            {
                "username": a.user.username,
                "full_name": a.user.display_name,
                "seat": seat_of(a.user_id, members, substitutes),
                "source": a.source,
            }
            for a in attendance
        ),
        key=lambda p: p["username"],
    )
    rows = [_item_minutes(item) for item in items]
    meeting.minutes = {
        "meeting": meeting.pk,
        "council": council.code,
        "council_name": council.name,
        "organisation": council.organisation.name,
        "held_on": meeting.held_on.isoformat(),
        "place": meeting.place,
        "ballot": council.ballot,
        "members": len(members),
        "present": present,
        "items": rows,
        "decided": sum(1 for r in rows if r["status"] == MeetingItemStatus.DECIDED),
        "decided_before": sum(1 for r in rows if r["status"] == MeetingItemStatus.DECIDED_BEFORE),
        "stayed_open": sum(1 for r in rows if r["status"] == MeetingItemStatus.STAYED_OPEN),
        "closed_by": actor.username,
        "closed_by_name": actor.display_name,
        "closed_at": now.isoformat(),
    }
    meeting.closed_at = now
    meeting.closed_by = actor
    meeting.save(update_fields=["closed_at", "closed_by", "minutes"])
    audit_record(
        actor=actor,
        action="meeting_close",
        obj=meeting,
        details={
            "meeting": meeting.pk,
            "council": council.code,
            "decided": {str(r["initiative"]): r["outcome"] for r in rows if r["status"] == MeetingItemStatus.DECIDED},
            "stayed_open": {
                str(r["initiative"]): r["reason_code"] for r in rows if r["status"] == MeetingItemStatus.STAYED_OPEN
            },
            "present": [p["username"] for p in present],
        },
    )
    return meeting
