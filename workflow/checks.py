"""System checks (``manage.py check``, run at every start): the ballot sealing key."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def ballot_sealing_key(app_configs, **kwargs):
    from .sealing import parse_key

    problems = []
    for name, values in (
        ("BALLOT_SEALING_KEY", [settings.BALLOT_SEALING_KEY] if settings.BALLOT_SEALING_KEY else []),
        ("BALLOT_SEALING_OLD_KEYS", list(settings.BALLOT_SEALING_OLD_KEYS)),
    ):
        for value in values:
            try:
                parse_key(value)
            except ImproperlyConfigured as e:
                problems.append(checks.Error(f"{name}: {e}", id="workflow.E001"))
    if not settings.BALLOT_SEALING_KEY and not settings.DEBUG:
        problems.append(
            checks.Warning(
                "BALLOT_SEALING_KEY is not set: votes on secret-ballot councils are refused "
                "(409 ballot_sealing_unavailable) until it is.",
                hint="Set BALLOT_SEALING_KEY to 32 random bytes in base64, kept outside the database and its "
                'backups, e.g. python -c "import base64, secrets; '
                'print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"',
                id="workflow.W001",
            )
        )
    return problems
