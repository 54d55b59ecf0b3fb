"""Background work of the awards room. Tasks take ids and call actions."""

from celery import shared_task


@shared_task
def announce_commendations(certificate_ids: list[int]) -> int:
    from .actions import commendation_announce

    return commendation_announce(certificate_ids=certificate_ids)
