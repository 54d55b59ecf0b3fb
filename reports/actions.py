"""Writes of this room: sending the monthly report (an e-mail with the workbook attached)."""

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from councils.models import Level, Organisation, Role, RoleAssignment

from .workbook import monthly_workbook, workbook_filename

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def previous_month(today: datetime.date) -> tuple[int, int]:
    first = today.replace(day=1) - datetime.timedelta(days=1)
    return first.year, first.month


def reporting_unions():
    """The affiliated unions that report monthly: organisations at corporation or unit level with
    at least one officer of their own (a role assigned on that organisation itself). A union
    without an officer has nobody to receive or send its report."""
    officer_orgs = RoleAssignment.objects.filter(role=Role.OFFICER).values("organisation_id")
    return Organisation.objects.filter(Q(level=Level.CORPORATION) | Q(level=Level.UNIT), pk__in=officer_orgs).order_by(
        "path"
    )


def _officer_emails(organisation: Organisation | None) -> list[str]:
    if organisation is None:
        return []
    return list(
        RoleAssignment.objects.filter(organisation=organisation, role=Role.OFFICER)
        .exclude(user__email="")
        .filter(user__is_active=True)
        .values_list("user__email", flat=True)
        .distinct()
    )


def monthly_report_send(*, organisation: Organisation, year: int, month: int) -> int:
    """E-mail the union's monthly workbook to its own officers and its parent union's officers.
    Returns the number of messages sent (0 when nobody has an address)."""
    parent = Organisation.objects.get_parent(organisation)
    to = _officer_emails(organisation)
    cc = [e for e in _officer_emails(parent) if e not in to]
    if not to and not cc:
        return 0
    content = monthly_workbook(organisation=organisation, year=year, month=month)
    with translation.override(settings.LANGUAGE_CODE):  # the programme's language
        values = {"month": f"{month:02d}/{year}", "organisation": organisation.name}
        subject = _("Báo cáo sáng kiến tháng %(month)s — %(organisation)s") % values
        body = (
            _(
                "Kính gửi cán bộ công đoàn,\n\nĐính kèm báo cáo tháng %(month)s của %(organisation)s: số sáng kiến "
                "đăng ký trong tháng, lũy kế, chỉ tiêu, tỷ lệ tham gia và danh sách sáng kiến."
            )
            % values
        )
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to or cc,
        cc=cc if to else [],
    )
    message.attach(workbook_filename(organisation=organisation, year=year, month=month), content, XLSX)
    from notifications.outbox import send_messages  # while an outbox row is built: a mail row

    return send_messages([message])
