"""Tasks of the library: tell an initiative's authors that another unit applies it. Tasks take ids;
they are scheduled on commit by the action."""

from celery import shared_task
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

SUBJECT_PREFIX = "[Sáng kiến] "


@shared_task
def notify_adoption(adoption_id: int) -> int:
    from councils.models import User
    from notifications.actions import notify

    from .models import Adoption

    adoption = Adoption.objects.select_related("initiative", "organisation").get(pk=adoption_id)
    initiative = adoption.initiative
    authors = User.objects.filter(authorships__initiative=initiative, is_active=True).distinct()
    with translation.override(settings.LANGUAGE_CODE):
        values = {"title": initiative.title, "organisation": adoption.organisation.name}
        subject = _("Sáng kiến của bạn được áp dụng tại %(organisation)s") % values
        body = _("Sáng kiến «%(title)s» của bạn đã được %(organisation)s ghi nhận áp dụng.") % values
        if adoption.note:
            body += "\n" + _("Ghi chú: %(note)s") % {"note": adoption.note}
        body += f"\n{settings.SITE_URL.rstrip('/')}/library/{initiative.pk}/"
    return notify(users=list(authors), subject=SUBJECT_PREFIX + subject, body=body, url=f"/library/{initiative.pk}/")
