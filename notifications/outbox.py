"""The transactional outbox: notifications that survive a broker, a worker or a mail server failing.

An action calls ``outbox_enqueue(task, **kwargs)`` inside its own transaction: one ``OutboxMessage``
row says what to build later (the notification task and its ids). After the commit one light
enqueue of ``deliver_outbox`` is attempted; if the broker is down that is logged, never raised to
the user: the beat task ``redrive_outbox`` finds the row and delivers it.

Delivery, in two steps, each idempotent:

1. **Build** (``outbox_build``): in one transaction the row is locked (``SELECT … FOR UPDATE SKIP
   LOCKED`` on PostgreSQL; a second worker skips it), still ``pending``; the task runs and writes
   its ``Notification`` rows; every mail it would send is written as an ``OutgoingMail`` row
   instead (its Message-ID fixed now); the row becomes ``sending`` (mails to send) or ``sent``.
   A crash or an error rolls all of it back: nothing is built twice or half. An error is recorded
   (``attempts``, ``last_error``, ``next_attempt_at`` with exponential backoff), the row stays
   ``pending`` until ``OUTBOX_MAX_ATTEMPTS``, then ``failed``.
2. **Send** (``mail_send``): each ``OutgoingMail`` is claimed (locked, ``sending``, ``attempts``+1,
   committed), sent through ``EMAIL_BACKEND``, then marked ``sent``. A refused recipient or any
   other 5xx is a bounce: ``failed`` at once with the server's answer, never retried. A 4xx, a
   connection refused or a timeout is retried with backoff until ``OUTBOX_MAX_ATTEMPTS``.

The one window: a worker dying after the SMTP server accepted a mail and before the row says
``sent``. The row then stays ``sending``; after ``OUTBOX_LEASE_SECONDS`` (longer than
``EMAIL_TIMEOUT``) the re-drive sends it again with the same Message-ID. So a mail is sent twice
only when a worker dies inside that window, at most once per such death, and the copies share
their Message-ID (mail clients and most servers keep one). The notification in the application
is never doubled: it is written once, with the build.
"""

import base64
import contextvars
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import DeliveryState, Notification, OutboxMessage, OutgoingMail

logger = logging.getLogger(__name__)

# the outbox row being built in this context: mails are written as rows, not sent
_building: contextvars.ContextVar[OutboxMessage | None] = contextvars.ContextVar("outbox_building", default=None)
# the request being served (set by ``OutboxActorMiddleware``): its user is recorded as the actor of
# the rows it writes, who is shown them on the notifications page until they are delivered
current_request: contextvars.ContextVar = contextvars.ContextVar("outbox_request", default=None)


def _request_user_id() -> int | None:
    user = getattr(current_request.get(), "user", None)  # DRF sets the token's user on the request too
    return user.pk if user is not None and user.is_authenticated else None


class OutboxActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


def _max_attempts() -> int:
    return getattr(settings, "OUTBOX_MAX_ATTEMPTS", 8)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: OUTBOX_RETRY_BASE_SECONDS × 2^(attempts-1), at most an hour."""
    base = getattr(settings, "OUTBOX_RETRY_BASE_SECONDS", 30)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def outbox_enqueue(task, *, actor=None, on_commit: bool = True, **kwargs) -> OutboxMessage:
    """Write the outgoing work of ``task(**kwargs)`` in the caller's transaction; try to queue its
    delivery after the commit (a broker failure is logged: the beat re-drive delivers it). The rows
    one transaction writes are queued together: ONE enqueue after its commit (``_Kicks``).
    ``on_commit=False``: the caller queues it (``outbox_kick``) once the row is committed."""
    name = task if isinstance(task, str) else task.name
    now = timezone.now()
    actor_id = getattr(actor, "pk", None) or _request_user_id()
    row = OutboxMessage.objects.create(task=name, kwargs=kwargs, actor_id=actor_id, next_attempt_at=now, created_at=now)
    if on_commit and transaction.get_connection().in_atomic_block:
        _Kicks.current().add(row.pk)
    elif on_commit:  # no transaction around (autocommit): the row is committed already
        outbox_kick(row.pk)
    return row


def outbox_enqueue_many(tasks, *, actor=None) -> list[OutboxMessage]:
    """``outbox_enqueue`` for several notifications of one transaction ([(task, kwargs)], in
    order): their rows in ONE insert, queued together after the commit."""
    tasks = list(tasks)
    in_transaction = transaction.get_connection().in_atomic_block
    if len(tasks) == 1 and not in_transaction:
        task, kwargs = tasks[0]
        return [outbox_enqueue(task, actor=actor, **kwargs)]
    now = timezone.now()
    actor_id = getattr(actor, "pk", None) or _request_user_id()
    rows = [
        OutboxMessage(
            task=task if isinstance(task, str) else task.name,
            kwargs=kwargs,
            actor_id=actor_id,
            next_attempt_at=now,
            created_at=now,
        )
        for task, kwargs in tasks
    ]
    if not in_transaction:
        OutboxMessage.objects.bulk_create(rows)
        for row in rows:
            outbox_kick(row.pk)
        return rows
    from config import sqlbatch

    kicks = _Kicks.current()

    def inserted(returned):
        sqlbatch.saved(rows, returned)
        for row in rows:
            kicks.add(row.pk)

    # queued inside sqlbatch.deferring() (sent with the action's next statement, before its commit)
    sqlbatch.execute(*sqlbatch.insert_statement(rows), on_rows=inserted)
    return rows


class _Kicks:
    """The outbox rows one transaction wrote, queued together after its commit: one row as
    ``deliver_outbox``, several as one ``deliver_outbox_many`` (one round trip to the broker per
    action). A rolled-back transaction drops its kicks with Django's own on-commit list."""

    def __init__(self, key):
        self.ids, self.done, self.key = [], False, key

    @classmethod
    def current(cls) -> "_Kicks":
        conn = transaction.get_connection()
        # the transaction: in production the outermost block itself; inside a test case's blocks,
        # the savepoint of the first block that is not the test's (the tests' transaction never commits)
        ours = sum(1 for a in conn.atomic_blocks if getattr(a, "_from_testcase", False))
        key = conn.savepoint_ids[ours - 1] if ours and len(conn.savepoint_ids) >= ours else None
        kicks = getattr(conn, "_outbox_kicks", None)
        if (
            kicks is None
            or kicks.done
            or kicks.key != key
            or not any(cb == kicks.flush for _, cb, *_ in conn.run_on_commit)
        ):
            kicks = conn._outbox_kicks = cls(key)
            transaction.on_commit(kicks.flush)
        return kicks

    def add(self, outbox_id: int) -> None:
        self.ids.append(outbox_id)

    def flush(self) -> None:
        ids, self.ids, self.done = self.ids, [], True
        if len(ids) == 1:
            outbox_kick(ids[0])
        elif ids:
            outbox_kick_many(ids)


def outbox_kick(outbox_id: int) -> bool:
    """One light enqueue of the delivery; never raises (the row waits for the re-drive)."""
    from .kick import publish
    from .tasks import deliver_outbox

    try:
        publish(deliver_outbox, (outbox_id,))
        return True
    except Exception:  # broker down, or (eager) the delivery itself failed: recorded on the row
        logger.warning("outbox %s: delivery not queued; the re-drive will deliver it", outbox_id, exc_info=True)
        return False


def outbox_kick_many(outbox_ids: list[int]) -> bool:
    """One light enqueue of several rows' delivery, in order; never raises."""
    from .kick import publish
    from .tasks import deliver_outbox_many

    try:
        publish(deliver_outbox_many, (outbox_ids,))
        return True
    except Exception:
        logger.warning("outbox %s: delivery not queued; the re-drive will deliver them", outbox_ids, exc_info=True)
        return False


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def outbox_build(*, outbox_id: int) -> str | None:
    """Build one pending outbox row (see the module). Returns its state, or None when another
    worker holds it or it was already built."""
    try:
        with transaction.atomic():
            row = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=outbox_id, state=DeliveryState.PENDING)
                .first()
            )
            if row is None:
                return None
            task = import_string(row.task)
            token = _building.set(row)
            try:
                getattr(task, "run", task)(**row.kwargs)
            finally:
                _building.reset(token)
            now = timezone.now()
            row.attempts += 1
            row.last_error = ""
            if row.mails.exists():
                row.state = DeliveryState.SENDING
            else:
                row.state, row.sent_at = DeliveryState.SENT, now
            row.save(update_fields=["attempts", "last_error", "state", "sent_at"])
            return row.state
    except Exception as exc:
        logger.warning("outbox %s: build failed", outbox_id, exc_info=True)
        with transaction.atomic():
            row = OutboxMessage.objects.select_for_update().filter(pk=outbox_id, state=DeliveryState.PENDING).first()
            if row is None:
                return None
            row.attempts += 1
            row.last_error = _error_text(exc)
            row.next_attempt_at = timezone.now() + backoff(row.attempts)
            if row.attempts >= _max_attempts():
                row.state = DeliveryState.FAILED
            row.save(update_fields=["attempts", "last_error", "next_attempt_at", "state"])
            return row.state


def outbox_deliver(*, outbox_id: int) -> timedelta | None:
    """Build the row if it is pending, then send its due mails. Returns how long to wait before a
    retry when something is left to retry, else None."""
    outbox_build(outbox_id=outbox_id)
    now = timezone.now()
    for mail_id in OutgoingMail.objects.filter(
        outbox_id=outbox_id, state=DeliveryState.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True):
        mail_send(mail_id=mail_id)
    row = OutboxMessage.objects.filter(pk=outbox_id).only("state", "next_attempt_at").first()
    if row is None or row.state in (DeliveryState.SENT, DeliveryState.FAILED):
        return None
    waits = [row.next_attempt_at] if row.state == DeliveryState.PENDING else []
    waits += list(
        OutgoingMail.objects.filter(outbox_id=outbox_id, state=DeliveryState.PENDING).values_list(
            "next_attempt_at", flat=True
        )
    )
    if not waits:
        return None
    return max(min(waits) - timezone.now(), timedelta(seconds=1))


# --- mails -----------------------------------------------------------------------------------


def send_messages(messages: list[EmailMessage], *, notifications: dict[str, int] | None = None) -> int:
    """Send ``messages`` (each to its own recipients) — or, while an outbox row is being built,
    write them as ``OutgoingMail`` rows of that row, sent after the build commits. ``notifications``
    maps an address to the notification it repeats (its delivery is shown there)."""
    row = _building.get()
    if row is None:
        if not messages:
            return 0
        return get_connection().send_messages(messages)
    now = timezone.now()
    domain = getattr(settings, "EMAIL_MESSAGE_ID_DOMAIN", None) or "sangkien.local"
    OutgoingMail.objects.bulk_create(
        [
            OutgoingMail(
                outbox=row,
                notification_id=(notifications or {}).get(m.to[0]) if len(m.to) == 1 else None,
                message_id=make_msgid(domain=domain),
                from_email=m.from_email or settings.DEFAULT_FROM_EMAIL,
                to=list(m.to),
                cc=list(m.cc),
                subject=m.subject,
                body=m.body,
                attachments=[
                    [name, base64.b64encode(content if isinstance(content, bytes) else content.encode()).decode(), mime]
                    for name, content, mime in m.attachments
                ],
                next_attempt_at=now,
                created_at=now,
            )
            for m in messages
        ]
    )
    return len(messages)


def _as_message(mail: OutgoingMail, connection) -> EmailMessage:
    message = EmailMessage(
        mail.subject,
        mail.body,
        mail.from_email,
        mail.to,
        cc=mail.cc,
        headers={"Message-ID": mail.message_id},
        connection=connection,
    )
    for name, content, mime in mail.attachments:
        message.attach(name, base64.b64decode(content), mime)
    return message


def _permanent(exc: BaseException) -> bool:
    """A bounce: the server refused for good (5xx), so sending again cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException) and not isinstance(exc, smtplib.SMTPConnectError):
        return exc.smtp_code >= 500
    return False


def _smtp_error_text(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in exc.recipients.items()
        )[:2000]
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{exc.smtp_code} {msg}"[:2000]
    return _error_text(exc)


def _claim(mail_id: int, *, stale_before=None) -> OutgoingMail | None:
    with transaction.atomic():
        due = Q(state=DeliveryState.PENDING)
        if stale_before is not None:  # the crash window: claimed, never marked
            due |= Q(state=DeliveryState.SENDING, next_attempt_at__lt=stale_before)
        mail = OutgoingMail.objects.select_for_update(skip_locked=True).filter(due, pk=mail_id).first()
        if mail is None:
            return None
        mail.state = DeliveryState.SENDING
        mail.attempts += 1
        mail.next_attempt_at = timezone.now()  # while sending: when it was claimed (the lease starts)
        mail.save(update_fields=["state", "attempts", "next_attempt_at"])
        return mail


def mail_send(*, mail_id: int, stale_before=None) -> str | None:
    """Claim one mail, send it, record what happened; returns its new state (None: not ours)."""
    mail = _claim(mail_id, stale_before=stale_before)
    if mail is None:
        return None
    try:
        connection = get_connection(fail_silently=False)
        connection.send_messages([_as_message(mail, connection)])
    except Exception as exc:
        mail.last_error = _smtp_error_text(exc)
        if _permanent(exc) or mail.attempts >= _max_attempts():
            mail.state = DeliveryState.FAILED
        else:
            mail.state = DeliveryState.PENDING
            mail.next_attempt_at = timezone.now() + backoff(mail.attempts)
        logger.warning("mail %s to %s: %s (%s)", mail.message_id, mail.to, mail.last_error, mail.state)
    else:
        mail.state, mail.sent_at, mail.last_error = DeliveryState.SENT, timezone.now(), ""
    mail.save(update_fields=["state", "sent_at", "last_error", "next_attempt_at"])
    if mail.outbox_id:
        _settle(mail.outbox_id)
    return mail.state


def _settle(outbox_id: int) -> None:
    """An outbox row whose mails are all sent is ``sent``; one with a mail that failed for good, ``failed``."""
    states = set(OutgoingMail.objects.filter(outbox_id=outbox_id).values_list("state", flat=True))
    if states & {DeliveryState.PENDING, DeliveryState.SENDING}:
        return
    failed = OutgoingMail.objects.filter(outbox_id=outbox_id, state=DeliveryState.FAILED).first()
    OutboxMessage.objects.filter(pk=outbox_id, state=DeliveryState.SENDING).update(
        state=DeliveryState.FAILED if failed else DeliveryState.SENT,
        sent_at=timezone.now(),
        last_error=f"{', '.join(failed.to)}: {failed.last_error}" if failed else "",
    )


def outbox_redrive(*, limit: int = 500) -> dict:
    """Beat: deliver what is due — rows never queued (broker down) or waiting for a retry, mails
    waiting for a retry, and mails claimed by a worker that died (older than the lease)."""
    now = timezone.now()
    lease = timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", 300))
    done = {"rows": 0, "mails": 0}
    for pk in (
        OutboxMessage.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("pk")[:limit]
        .values_list("pk", flat=True)
    ):
        outbox_deliver(outbox_id=pk)  # built, then its mails sent at once
        done["rows"] += 1
    now = timezone.now()
    due = Q(state=DeliveryState.PENDING, next_attempt_at__lte=now) | Q(
        state=DeliveryState.SENDING, next_attempt_at__lt=now - lease
    )
    for pk in OutgoingMail.objects.filter(due).order_by("pk")[:limit].values_list("pk", flat=True):
        if mail_send(mail_id=pk, stale_before=now - lease):
            done["mails"] += 1
    # delivered rows are kept OUTBOX_KEEP_DAYS (the notifications themselves stay); failed ones stay
    keep = timedelta(days=getattr(settings, "OUTBOX_KEEP_DAYS", 30))
    old = OutboxMessage.objects.filter(state=DeliveryState.SENT, sent_at__lt=now - keep).order_by("pk")[:limit]
    _total, deleted = OutboxMessage.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()
    done["purged"] = deleted.get(OutboxMessage._meta.label, 0)
    return done


def pending_deliveries(*, user) -> dict:
    """What ``user`` set going that is not delivered yet, and what failed (for the notifications page)."""
    mine = OutboxMessage.objects.filter(actor=user)
    return {
        "pending": mine.filter(state__in=[DeliveryState.PENDING, DeliveryState.SENDING]).count(),
        "failed": mine.filter(state=DeliveryState.FAILED).count(),
    }


def notification_mail_states(notification_ids) -> dict[int, OutgoingMail]:
    """The mail of each notification (if one was sent through the outbox), by notification id."""
    return {m.notification_id: m for m in OutgoingMail.objects.filter(notification_id__in=list(notification_ids))}


__all__ = [
    "Notification",
    "outbox_enqueue",
    "outbox_enqueue_many",
    "outbox_kick",
    "outbox_build",
    "outbox_deliver",
    "outbox_redrive",
    "mail_send",
    "send_messages",
    "pending_deliveries",
]
