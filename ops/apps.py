from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Vận hành"

    def ready(self):
        from . import signals  # noqa: F401  (Celery: the request id into and out of tasks, failures counted)
