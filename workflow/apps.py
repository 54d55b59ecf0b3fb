from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("Quy trình")

    def ready(self):
        from awards.selectors import register_score_provider
        from initiatives.duplicates import register_title_provider

        from . import checks  # noqa: F401  (registers the sealing key check)
        from .selectors import average_scores, readable_titles

        register_score_provider(average_scores)
        register_title_provider(readable_titles)
