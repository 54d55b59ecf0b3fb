"""Background work of this room. Tasks take ids and call actions; the actions schedule them on
commit, so a rolled-back change never sends mail."""

from celery import shared_task


@shared_task
def notify_coauthors(initiative_id: int, user_ids: list[int]) -> int:
    from .actions import coauthors_notify

    return coauthors_notify(initiative_id=initiative_id, user_ids=user_ids)


@shared_task
def notify_authorship_declined(initiative_id: int, user_id: int) -> int:
    from .actions import authorship_declined_notify

    return authorship_declined_notify(initiative_id=initiative_id, user_id=user_id)


@shared_task
def check_register_import(import_id: int, start: bool = True) -> str:
    from .imports import register_import_check

    return register_import_check(import_id=import_id, start=start).state


@shared_task(acks_late=True)
def import_register_batch(import_id: int, batch_id: int) -> int:
    from .imports import register_import_batch

    return register_import_batch(import_id=import_id, batch_id=batch_id)
