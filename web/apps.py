from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The pages: views, template tags, formatting helpers, the home and help pages, the lifecycle
    chart. The top room: it reads every other room's selectors and calls their actions; nothing
    imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "web"
    verbose_name = _("Trang")
