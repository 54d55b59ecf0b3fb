"""Pages of council meetings: a council's meetings with the form that schedules one (its chair or
secretary), and the meeting page — the agenda with a ballot per item (the same ``vote_cast`` as
everywhere, open or secret as the session's ballot, recusal respected per item), attendance, the
close and the minutes. They read through ``workflow.meeting_selectors`` and write through the
actions of ``workflow.meetings``; forms work without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils.models import Council, User
from initiatives.exceptions import ApplicationError
from initiatives.models import Initiative
from workflow.flows import STAGE_DECISIONS
from workflow.meeting_selectors import (
    attendance_choices,
    council_get_for_meetings,
    council_meetings,
    meeting_detail,
    meeting_get_visible,
    schedulable,
)
from workflow.meetings import may_run_meetings, meeting_attendance_set, meeting_close, meeting_schedule
from workflow.models import CouncilMeeting
from workflow.selectors import available_actions, with_content_visible


def _council(request, code):
    try:
        return council_get_for_meetings(user=request.user, code=code)
    except Council.DoesNotExist:
        raise Http404(_("Không tìm thấy hội đồng")) from None


def _meeting(request, mid):
    try:
        if mid >= 2**63:
            raise CouncilMeeting.DoesNotExist
        return meeting_get_visible(user=request.user, pk=mid)
    except CouncilMeeting.DoesNotExist:
        raise Http404(_("Không tìm thấy cuộc họp")) from None


def _errors(e: ValidationError) -> dict:
    return e.message_dict if hasattr(e, "error_dict") else {"non_field_errors": e.messages}


@login_required
def council_meetings_page(request, code):
    council = _council(request, code)
    may_run = may_run_meetings(user=request.user, council=council)
    values = {"held_on": "", "place": "", "initiatives": []}
    errors, status = {}, 200
    if request.method == "POST":
        values = {
            "held_on": request.POST.get("held_on", "")[:20],
            "place": request.POST.get("place", "")[:300],
            "initiatives": request.POST.getlist("initiatives")[:200],
        }
        try:
            meeting = meeting_schedule(
                council_id=council.pk,
                actor=request.user,
                held_on=values["held_on"],
                place=values["place"],
                initiatives=values["initiatives"],
            )
        except ValidationError as e:
            errors, status = _errors(e), 400
        except PermissionDenied as e:
            messages.error(request, str(e) or _("Không được phép"))
            return redirect("council-meetings-page", code=council.code)
        else:
            messages.success(
                request,
                _("Đã lên lịch họp ngày %(day)s; các thành viên hội đồng đã được thông báo.")
                % {"day": f"{meeting.held_on:%d/%m/%Y}"},
            )
            return redirect("meeting-page", mid=meeting.pk)
    choices = (
        with_content_visible(schedulable(council=council), user=request.user) if may_run else Initiative.objects.none()
    )
    context = {
        "council": council,
        "meetings": council_meetings(council=council)[:100],
        "may_run": may_run,
        "choices": choices,
        "values": values,
        "chosen": {str(v) for v in values["initiatives"]},
        "errors": errors,
    }
    return render(request, "workflow/meetings.html", context, status=status)


@login_required
def meeting_page(request, mid):
    meeting = _meeting(request, mid)
    detail = meeting_detail(user=request.user, meeting=meeting)
    initiatives = {
        i.pk: i
        for i in Initiative.objects.filter(pk__in=[row["initiative"] for row in detail["agenda"]]).select_related(
            "organisation", "council"
        )
    }
    voters = {name for row in detail["agenda"] for name in row["voters"]}
    names = {u.username: u.display_name for u in User.objects.filter(username__in=sorted(voters))}
    rows = []
    for row in detail["agenda"]:
        initiative = initiatives[row["initiative"]]
        can_vote = (
            meeting.closed_at is None
            and row["status"] == "pending"
            and "vote" in available_actions(user=request.user, initiative=initiative)
        )
        rows.append(
            {
                **row,
                "can_vote": can_vote,
                "decisions": STAGE_DECISIONS.get(initiative.state, []),
                "may_open": row["title_visible"],
                "voter_names": [names.get(v, v) for v in row["voters"]],
            }
        )
    may_run = "close" in detail["available_actions"]
    context = {
        "meeting": meeting,
        "detail": detail,
        "rows": rows,
        "may_run": may_run,
        "attendance": attendance_choices(meeting=meeting) if may_run else None,
    }
    return render(request, "workflow/meeting.html", context)


def _run(request, fn) -> bool:
    try:
        fn()
    except ValidationError as e:
        for msgs in _errors(e).values():
            for m in msgs:
                messages.error(request, m)
        return False
    except (PermissionDenied, ApplicationError) as e:
        messages.error(request, getattr(e, "detail", None) or str(e) or _("Không được phép"))
        return False
    return True


@login_required
@require_POST
def meeting_attendance_page(request, mid):
    meeting = _meeting(request, mid)
    present = request.POST.getlist("present")[:500]
    if _run(request, lambda: meeting_attendance_set(meeting_id=meeting.pk, actor=request.user, present=present)):
        messages.success(request, _("Đã ghi nhận người dự họp"))
    return redirect("meeting-page", mid=meeting.pk)


@login_required
@require_POST
def meeting_close_page(request, mid):
    meeting = _meeting(request, mid)
    done = {}

    def close():
        done["meeting"] = meeting_close(meeting_id=meeting.pk, actor=request.user)

    if _run(request, close):
        minutes = done["meeting"].minutes
        messages.success(
            request,
            _("Cuộc họp đã kết thúc: %(decided)s hồ sơ được quyết định, %(open)s hồ sơ chưa quyết định được.")
            % {"decided": minutes.get("decided", 0), "open": minutes.get("stayed_open", 0)},
        )
    return redirect("meeting-page", mid=meeting.pk)


@login_required
@require_POST
def meeting_vote_page(request, mid, iid):
    """A member's ballot on one item of the agenda: the dossier's own vote (``vote_cast``)."""
    from workflow.actions import vote_cast

    meeting = _meeting(request, mid)
    if not meeting.items.filter(initiative_id=iid).exists():
        raise Http404(_("Hồ sơ không có trong chương trình cuộc họp này"))
    score = request.POST.get("score", "").strip()
    if score and not (score.isascii() and score.isdigit() and len(score) < 4 and int(score) <= 100):
        messages.error(request, _("Điểm phải là số nguyên từ 0 đến 100"))
        return redirect(f"{reverse('meeting-page', args=[meeting.pk])}#item-{iid}")
    if _run(
        request,
        lambda: vote_cast(
            initiative_id=iid,
            actor=request.user,
            decision=request.POST.get("decision", ""),
            score=int(score) if score else None,
            comment=request.POST.get("comment", ""),
        ),
    ):
        messages.success(request, _("Đã ghi nhận phiếu của bạn"))
    return redirect(f"{reverse('meeting-page', args=[meeting.pk])}#item-{iid}")
