from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("Vận hành")

    def ready(self):
        from . import signals  # noqa: F401  (Celery: the request id into and out of tasks, failures counted)
