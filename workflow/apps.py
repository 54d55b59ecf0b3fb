from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = "Quy trình / Lifecycle"

    def ready(self):
        from awards.selectors import register_score_provider

        from . import checks  # noqa: F401  (registers the sealing key check)
        from .selectors import average_scores

        register_score_provider(average_scores)
