from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilsConfig(AppConfig):
    name = "councils"
    verbose_name = _("Tổ chức và hội đồng")

    def ready(self):
        from axes.signals import user_locked_out

        from . import safety_net
        from .signin import on_user_locked_out

        safety_net.connect()
        user_locked_out.connect(on_user_locked_out, dispatch_uid="councils.signin.lockout")
