"""Notifications and reminders. Tasks take ids and call actions or selectors; they are scheduled
on commit by the actions, so a rolled-back change never sends mail."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from councils.models import MemberRole, Role, User
from initiatives.models import Initiative

from .models import BallotCast, CouncilSession

logger = logging.getLogger(__name__)
SUBJECT_PREFIX = "[Sáng kiến] "


def _link(initiative):
    return f"{settings.SITE_URL}/initiatives/{initiative.pk}/"


def _send(recipients, subject, body, initiative):
    """A notification in the application for each recipient, and a mail to each address."""
    from notifications.actions import notify

    return notify(
        users=list(recipients), subject=SUBJECT_PREFIX + subject, body=body, url=f"/initiatives/{initiative.pk}/"
    )


def _authors(initiative):
    return User.objects.filter(authorships__initiative=initiative, is_active=True).distinct()


def _members(council, initiative):
    author_ids = set(initiative.authors.exclude(user=None).values_list("user_id", flat=True))
    return User.objects.filter(memberships__council=council, is_active=True).exclude(pk__in=author_ids)


def _voters(session, *, exclude_voted=False):
    """Who may vote in ``session``: its council's members who are not authors of the dossier, and
    the substitutes sitting in for them."""
    from .seating import session_seating

    qs = User.objects.filter(pk__in=session_seating(session).voter_ids, is_active=True)
    if exclude_voted:
        qs = qs.exclude(pk__in=BallotCast.objects.filter(session=session).values("voter_id"))
    return qs


def _officers_of(organisation):
    return User.objects.filter(
        role_assignments__role__in=[Role.OFFICER, Role.ADMIN],
        role_assignments__organisation__path__in=organisation.ancestor_paths(),
        is_active=True,
    ).distinct()


# Mails are written in the programme's language (settings.LANGUAGE_CODE), one language per message.


@shared_task
def notify_session_opened(session_id: int) -> int:
    session = CouncilSession.objects.select_related("initiative", "council").get(pk=session_id)
    i = session.initiative
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "reference": i.reference,
            "title": i.title,
            "council": session.council,
            "due": f"{timezone.localtime(session.due_at):%d/%m/%Y}",
            "link": _link(i),
        }
        subject = _("Hồ sơ mới cần xét: %(reference)s") % values
        body = (
            _(
                "Hồ sơ sáng kiến %(reference)s «%(title)s» đã được chuyển đến %(council)s.\n"
                "Hạn quyết định: %(due)s.\n%(link)s"
            )
            % values
        )
    return _send(_voters(session), subject, body, i)


@shared_task
def notify_advisory_team(initiative_id: int) -> int:
    i = Initiative.objects.select_related("council").get(pk=initiative_id)
    if i.council is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        values = {"reference": i.reference, "title": i.title, "version": i.dossier_version, "link": _link(i)}
        subject = _("Hồ sơ mới nộp: %(reference)s") % values
        body = (
            _(
                "Hồ sơ sáng kiến %(reference)s «%(title)s» vừa được nộp (phiên bản %(version)s) và chờ tổ tư vấn.\n%(link)s"
            )
            % values
        )
    return _send(_members(i.council, i), subject, body, i)


@shared_task
def notify_decision(initiative_id: int) -> int:
    from .labels import ACTION_LABELS

    i = Initiative.objects.get(pk=initiative_id)
    entry = (
        AuditEntry.objects.filter(
            object_type="initiative", object_id=str(i.pk), action__in=["forward", "return", "close"]
        )
        .order_by("-seq")
        .first()
    )
    if entry is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "reference": i.reference,
            "title": i.title,
            "action": ACTION_LABELS.get(entry.action, entry.action),
            "state": i.get_state_display(),
            "link": _link(i),
            "comment": entry.comment,
        }
        subject = _("Kết quả xét: %(reference)s") % values
        body = _("Sáng kiến %(reference)s «%(title)s»: %(action)s — nay ở bước «%(state)s».") % values + "\n"
        if entry.comment:
            body += _("Ý kiến: %(comment)s") % values + "\n"
        body += values["link"]
    return _send(_authors(i), subject, body, i)


@shared_task
def notify_deadline(session_id: int, kind: str) -> int:
    session = CouncilSession.objects.select_related("initiative", "council", "initiative__organisation").get(
        pk=session_id
    )
    i = session.initiative
    due = timezone.localtime(session.due_at)
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "reference": i.reference,
            "title": i.title,
            "council": session.council,
            "due": f"{due:%d/%m/%Y}",
            "link": _link(i),
        }
        if kind == "overdue":
            subject = _("Quá hạn: %(reference)s") % values
            body = (
                _("QUÁ HẠN: hồ sơ %(reference)s «%(title)s» trước %(council)s đã quá hạn quyết định %(due)s.\n%(link)s")
                % values
            )
        else:
            subject = _("Sắp đến hạn: %(reference)s") % values
            body = (
                _("Nhắc việc: hồ sơ %(reference)s «%(title)s» cần được %(council)s quyết định trước %(due)s.\n%(link)s")
                % values
            )
    if kind == "overdue":
        chairs = User.objects.filter(
            memberships__council=session.council, memberships__role__in=[MemberRole.CHAIR, MemberRole.SECRETARY]
        )
        return _send(set(chairs) | set(_officers_of(i.organisation)), subject, body, i)
    return _send(_voters(session, exclude_voted=True), subject, body, i)


@shared_task
def remind_deadlines() -> dict:
    """Beat: remind members of sessions due within 7 days, flag overdue ones; each once."""
    from .actions import session_remind

    now = timezone.now()
    due = CouncilSession.objects.filter(closed_at__isnull=True, due_at__lte=now + timedelta(days=7)).filter(
        Q(reminded_at__isnull=True, due_at__gt=now) | Q(overdue_notified_at__isnull=True, due_at__lte=now)
    )
    sent = {"reminder": 0, "overdue": 0}
    for session_id in due.values_list("pk", flat=True).iterator():
        kind = session_remind(session_id=session_id, now=now)
        if kind:
            sent[kind] += 1
    return sent


@shared_task
def audit_checkpoint() -> dict:
    """Beat (hourly): sign the trail's head; nothing new when nothing was appended since the last."""
    from .actions import trail_checkpoint_create

    checkpoint, created = trail_checkpoint_create(actor=None)
    return {"seq": checkpoint.seq, "created": created}


@shared_task
def mail_audit_checkpoint(checkpoint_id: int) -> int:
    """Mail a new checkpoint to the topmost auditors, its JSON line attached: a copy of what the
    trail was that nobody with access to the database or the server can take back."""
    from django.core.mail import EmailMessage
    from django.utils import translation
    from django.utils.translation import gettext

    from audit.models import AuditCheckpoint
    from audit.signing import checkpoint_from_row, public_text, trusted_keys
    from councils.selectors import topmost_auditors

    cp = checkpoint_from_row(AuditCheckpoint.objects.get(pk=checkpoint_id))
    emails = sorted({u.email for u in topmost_auditors() if u.email})
    if not emails:
        return 0
    key = trusted_keys().get(cp.key_id)
    with translation.override(settings.LANGUAGE_CODE):
        subject = SUBJECT_PREFIX + gettext("Mốc kiểm toán #%(seq)s") % {"seq": cp.seq}
        body = gettext(
            "Mốc mới của nhật ký kiểm toán.\n\n"
            "Mục cuối: #%(seq)s\n"
            "Mã băm: %(hash)s\n"
            "Thời điểm ký: %(at)s\n"
            "Khóa: %(key_id)s (khóa công khai %(public_key)s)\n"
            "Chữ ký: %(signature)s\n\n"
            "Hãy giữ thư này và tệp đính kèm: đó là bản sao nằm ngoài hệ thống. "
            "Để kiểm tra nhật ký bằng các bản sao này:\n"
            "  python manage.py verify_audit --checkpoints TỆP.jsonl --public-key KHÓA_CÔNG_KHAI"
        ) % {
            "seq": cp.seq,
            "hash": cp.hash,
            "at": cp.at,
            "key_id": cp.key_id,
            "public_key": public_text(key) if key else "?",
            "signature": cp.signature,
        }
    from notifications.outbox import send_messages  # while an outbox row is built: mail rows

    messages = []
    for email in emails:
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
        message.attach(f"audit-checkpoint-{cp.seq}.jsonl", cp.line(), "application/json")
        messages.append(message)
    return send_messages(messages)


@shared_task
def notify_meeting_scheduled(meeting_id: int) -> int:
    """Tell the council's members (and its substitutes) that a meeting was scheduled: when, where,
    how many dossiers. The titles stay out of the mail (some dossiers are confidential)."""
    from notifications.actions import notify

    from .models import CouncilMeeting

    meeting = CouncilMeeting.objects.select_related("council").get(pk=meeting_id)
    council = meeting.council
    people = User.objects.filter(Q(memberships__council=council) | Q(substitute_for__council=council), is_active=True)
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "council": council.name or council.code,
            "day": f"{meeting.held_on:%d/%m/%Y}",
            "place": meeting.place,
            "count": meeting.items.count(),
            "link": f"{settings.SITE_URL}/meetings/{meeting.pk}/",
        }
        subject = SUBJECT_PREFIX + _("Lịch họp %(council)s ngày %(day)s") % values
        body = (
            _(
                "%(council)s họp ngày %(day)s tại %(place)s để xét %(count)s hồ sơ sáng kiến.\n"
                "Chương trình họp và phiếu biểu quyết từng hồ sơ: %(link)s"
            )
            % values
        )
    return notify(users=list(people.distinct()), subject=subject, body=body, url=f"/meetings/{meeting.pk}/")
