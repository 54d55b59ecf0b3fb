"""Telling people things: one notification row per person (read in the application) and one
e-mail per person who has an address (no recipient learns another's address)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from .models import Notification

MAIL_PREFIX = "[Sáng kiến] "


def notify(*, users, subject: str, body: str, url: str = "") -> int:
    """Write a notification for each active user of ``users`` and mail those with an address.
    ``subject`` is the mail's subject; the notification drops its "[Sáng kiến] " prefix. Returns the
    number of mails sent."""
    people = {u.pk: u for u in users if u.is_active}
    if not people:
        return 0
    now = timezone.now()
    shown = subject.removeprefix(MAIL_PREFIX)[:300]
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            [
                Notification(recipient_id=pk, subject=shown, body=body, url=url[:300], created_at=now)
                for pk in sorted(people)
            ]
        )
    emails = sorted({u.email for u in people.values() if u.email})
    if not emails:
        return 0
    from .outbox import send_messages  # while an outbox row is built: written as mails to send after it

    shown_to = {}
    for n in created:
        shown_to.setdefault(people[n.recipient_id].email, n.pk)
    return send_messages(
        [EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in emails],
        notifications=shown_to,
    )


def notification_open(*, actor, notification_id: int) -> Notification:
    """Mark one of ``actor``'s notifications read (the first time) and return it;
    ``Notification.DoesNotExist`` for anyone else's."""
    notification = Notification.objects.get(pk=notification_id, recipient=actor)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, actor) -> int:
    """Mark every unread notification of ``actor`` read; returns how many."""
    return Notification.objects.filter(recipient=actor, read_at=None).update(read_at=timezone.now())
