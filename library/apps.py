from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    """The library of recognised initiatives shared across the programme ("chia sẻ sáng kiến trong
    toàn Ngành") and the units' records that they apply one too. Sits above workflow (it reads the
    lifecycle's visibility rules), below reports and web."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "library"
    verbose_name = _("Thư viện sáng kiến")
