"""Celery tasks of campaigns: one task per batch of recipients. Tasks take ids and call actions."""

from celery import shared_task


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=3)
def send_campaign_batch(campaign_id: int, first_id: int, last_id: int) -> dict:
    from .actions import campaign_send_batch

    return campaign_send_batch(campaign_id=campaign_id, first_id=first_id, last_id=last_id)
