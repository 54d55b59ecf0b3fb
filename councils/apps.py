from django.apps import AppConfig


class CouncilsConfig(AppConfig):
    name = "councils"
    verbose_name = "Tổ chức và hội đồng / Organisations and councils"

    def ready(self):
        from axes.signals import user_locked_out

        from . import safety_net
        from .signin import on_user_locked_out

        safety_net.connect()
        user_locked_out.connect(on_user_locked_out, dispatch_uid="councils.signin.lockout")
