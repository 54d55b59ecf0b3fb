"""Notifications and reminders. Tasks take ids and call actions or selectors; they are scheduled
on commit by the actions, so a rolled-back change never sends mail."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEntry
from councils.models import MemberRole, Role, User
from initiatives.models import Initiative

from .models import BallotCast, CouncilSession

SUBJECT_PREFIX = "[Sáng kiến] "


def _link(initiative):
    return f"{settings.SITE_URL}/initiatives/{initiative.pk}/"


def _send(recipients, subject, body):
    emails = sorted({u.email for u in recipients if u.email})
    if not emails:
        return 0
    messages = [(SUBJECT_PREFIX + subject, body, settings.DEFAULT_FROM_EMAIL, [e]) for e in emails]
    return send_mass_mail(messages, fail_silently=False)


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


@shared_task
def notify_session_opened(session_id: int) -> int:
    session = CouncilSession.objects.select_related("initiative", "council").get(pk=session_id)
    i = session.initiative
    body = (
        f"Hồ sơ sáng kiến {i.reference} «{i.title}» đã được chuyển đến {session.council}.\n"
        f"Hạn quyết định: {timezone.localtime(session.due_at):%d/%m/%Y}.\n{_link(i)}\n\n"
        f"The initiative {i.reference} is now before {session.council.code}; "
        f"decision due {timezone.localtime(session.due_at):%Y-%m-%d}."
    )
    return _send(_voters(session), f"Hồ sơ mới cần xét / New dossier: {i.reference}", body)


@shared_task
def notify_advisory_team(initiative_id: int) -> int:
    i = Initiative.objects.select_related("council").get(pk=initiative_id)
    if i.council is None:
        return 0
    body = (
        f"Hồ sơ sáng kiến {i.reference} «{i.title}» vừa được nộp (phiên bản {i.dossier_version}).\n{_link(i)}\n\n"
        f"The initiative {i.reference} was submitted (version {i.dossier_version}) and awaits the advisory team."
    )
    return _send(_members(i.council, i), f"Hồ sơ mới nộp / Submitted: {i.reference}", body)


@shared_task
def notify_decision(initiative_id: int) -> int:
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
    outcome = (entry.details or {}).get("outcome", entry.action)
    body = (
        f"Sáng kiến {i.reference} «{i.title}»: {entry.action} → {i.get_state_display()} ({entry.to_state}).\n"
        + (f"Ý kiến / Reasons: {entry.comment}\n" if entry.comment else "")
        + f"{_link(i)}\n\nDecision on {i.reference}: {outcome}; the initiative is now '{entry.to_state}'."
    )
    return _send(_authors(i), f"Kết quả xét / Decision: {i.reference}", body)


@shared_task
def notify_deadline(session_id: int, kind: str) -> int:
    session = CouncilSession.objects.select_related("initiative", "council", "initiative__organisation").get(
        pk=session_id
    )
    i = session.initiative
    due = timezone.localtime(session.due_at)
    if kind == "overdue":
        chairs = User.objects.filter(
            memberships__council=session.council, memberships__role__in=[MemberRole.CHAIR, MemberRole.SECRETARY]
        )
        recipients = set(chairs) | set(_officers_of(i.organisation))
        body = (
            f"QUÁ HẠN: hồ sơ {i.reference} «{i.title}» trước {session.council} đã quá hạn quyết định {due:%d/%m/%Y}.\n"
            f"{_link(i)}\n\nOVERDUE: {session.council.code} was due to decide on {i.reference} by {due:%Y-%m-%d}."
        )
        return _send(recipients, f"Quá hạn / Overdue: {i.reference}", body)
    body = (
        f"Nhắc việc: hồ sơ {i.reference} «{i.title}» cần được {session.council} quyết định trước {due:%d/%m/%Y}.\n"
        f"{_link(i)}\n\nReminder: {session.council.code} must decide on {i.reference} by {due:%Y-%m-%d}."
    )
    return _send(_voters(session, exclude_voted=True), f"Sắp đến hạn / Due soon: {i.reference}", body)


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
    from django.core.mail import EmailMessage, get_connection
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
    connection = get_connection()
    messages = []
    for email in emails:
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [email], connection=connection)
        message.attach(f"audit-checkpoint-{cp.seq}.jsonl", cp.line(), "application/json")
        messages.append(message)
    return connection.send_messages(messages)
