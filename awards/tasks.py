"""Background work of the awards room. Tasks take ids and call actions."""

from celery import shared_task


@shared_task
def announce_commendations(certificate_ids: list[int]) -> int:
    from .actions import commendation_announce

    return commendation_announce(certificate_ids=certificate_ids)


@shared_task
def remind_nominations(days_before: int = 3) -> int:
    """Daily: ``days_before`` days before the month closes, remind each union's officers to
    propose their month's best initiatives to the union above."""
    from .actions import nominations_remind

    return nominations_remind(days_before=days_before)


@shared_task
def remind_union(organisation_id: int, day: str) -> int:
    """One union's nomination reminder, from the outbox (``nominations_remind`` queues them)."""
    import datetime

    from .actions import nomination_reminder_send

    return nomination_reminder_send(organisation_id=organisation_id, day=datetime.date.fromisoformat(day))
