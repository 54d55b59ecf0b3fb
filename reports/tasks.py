"""Background work of this room. Tasks take ids and strings, never model instances."""

import datetime

from celery import shared_task
from django.utils import timezone


@shared_task
def send_monthly_reports(month: str | None = None) -> int:
    """Beat, day 1 of each month: the previous month's workbook for every reporting union
    (``reports.actions.reporting_unions``), one task per union. ``month`` = "YYYY-MM" to resend one."""
    from .actions import previous_month, reporting_unions

    if month is None:
        year, mon = previous_month(timezone.localdate())
        month = f"{year:04d}-{mon:02d}"
    else:
        datetime.date.fromisoformat(f"{month}-01")  # refuse anything but YYYY-MM
    from notifications.outbox import outbox_enqueue, outbox_kick

    ids = list(reporting_unions().values_list("pk", flat=True))
    for pk in ids:  # one outbox row each (committed at once: beat runs outside any transaction), then queued
        outbox_kick(outbox_enqueue(send_monthly_report, on_commit=False, organisation_id=pk, month=month).pk)
    return len(ids)


@shared_task
def send_monthly_report(organisation_id: int, month: str) -> int:
    from councils.models import Organisation

    from .actions import monthly_report_send

    year, mon = (int(x) for x in month.split("-"))
    return monthly_report_send(organisation=Organisation.objects.get(pk=organisation_id), year=year, month=mon)
