from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _sqlite_unaccent(sender, connection, **kwargs):
    """SQLite has no ``unaccent``: give it one (``unidecode``), so a search that asks the database
    for ``UNACCENT(column)`` (the auditor's trail, ``workflow.selectors.trail_entries``) runs the
    same on both databases. PostgreSQL has the ``unaccent`` extension (migration
    ``initiatives.0007``)."""
    if connection.vendor == "sqlite":
        from unidecode import unidecode

        connection.connection.create_function(
            "UNACCENT", 1, lambda s: unidecode(s) if isinstance(s, str) else s, deterministic=True
        )


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = _("Sáng kiến")

    def ready(self):
        connection_created.connect(_sqlite_unaccent, dispatch_uid="initiatives-sqlite-unaccent")
