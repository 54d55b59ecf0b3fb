from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "councils"
    verbose_name = "Tổ chức và hội đồng / Organisations and councils"

    def ready(self):
        from . import safety_net

        safety_net.connect()
