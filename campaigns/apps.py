from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Campaigns: an officer writes to everyone with an account in their subtree who has no
    initiative in the programme yet; the mails go out in batches by Celery. Above workflow, below
    reports (whose dashboard shows the reach) and web."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "campaigns"
    verbose_name = _("Vận động viết sáng kiến")
