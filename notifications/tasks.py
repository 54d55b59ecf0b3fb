"""Delivery of the outbox (notifications/outbox.py): one task per outbox row, queued after the
action's commit, and the beat re-drive of whatever is due or stuck."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver_outbox(self, outbox_id: int) -> None:
    """Idempotent: build the row once (locked, SKIP LOCKED), send each mail once; what failed for
    now is retried with exponential backoff (and by the re-drive, whichever comes first)."""
    from .outbox import outbox_deliver

    wait = outbox_deliver(outbox_id=outbox_id)
    if wait is not None and not self.request.is_eager:
        raise self.retry(countdown=wait.total_seconds())


@shared_task(acks_late=True)
def redrive_outbox() -> dict:
    """Beat (every OUTBOX_REDRIVE_SECONDS): deliver rows never queued, retries due, mails stuck."""
    from .outbox import outbox_redrive

    return outbox_redrive()
