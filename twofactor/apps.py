from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    name = "twofactor"
    verbose_name = _("Đăng nhập hai lớp")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from .signin import on_password_failed, on_password_signed_in

        # security logging only (as councils.signin does for axes' lock-outs): it records, it decides nothing
        user_logged_in.connect(on_password_signed_in, dispatch_uid="twofactor.signin.logged_in")
        user_login_failed.connect(on_password_failed, dispatch_uid="twofactor.signin.failed")
