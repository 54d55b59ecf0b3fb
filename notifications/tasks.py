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


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_outbox_many(outbox_ids: list) -> None:
    """The rows of one transaction, delivered in order, each as ``deliver_outbox`` would (each
    idempotent on its own row); one that must wait is handed to its own ``deliver_outbox`` retry
    (and the re-drive), so one slow mail never holds the others."""
    from .outbox import outbox_deliver

    for outbox_id in outbox_ids:
        wait = outbox_deliver(outbox_id=outbox_id)
        if wait is not None and not deliver_outbox_many.request.is_eager:
            deliver_outbox.apply_async((outbox_id,), countdown=wait.total_seconds())


@shared_task(acks_late=True)
def redrive_outbox() -> dict:
    """Beat (every OUTBOX_REDRIVE_SECONDS): deliver rows never queued, retries due, mails stuck."""
    from .outbox import outbox_redrive

    return outbox_redrive()
