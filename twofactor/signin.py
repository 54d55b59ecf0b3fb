"""Receivers of Django's sign-in signals: each password accepted or refused on a sign-in form
(the sign-in page, the admin's) becomes one entry in the trail, through ``twofactor.actions``.
Security logging only, like ``councils.signin`` for lock-outs: it records, it decides nothing.

Only sign-ins through a form (a POST) are recorded: ``Client.force_login`` in the tests and an
operator's shell do not sign in through a door."""

import logging

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    if request is None:
        return ""
    ip = getattr(request, "axes_ip_address", None)
    if ip:
        return ip
    try:
        from axes.helpers import get_client_ip_address

        return get_client_ip_address(request) or ""
    except Exception:  # pragma: no cover - an address is a courtesy, never a reason to fail
        return request.META.get("REMOTE_ADDR", "")


def _door(request) -> str:
    return "admin" if request.path.startswith("/admin/") else "site"


def _from_a_form(request) -> bool:
    return request is not None and getattr(request, "method", None) == "POST"


def on_password_signed_in(sender, request=None, user=None, **kwargs):
    if not _from_a_form(request) or user is None:
        return
    from .actions import signin_record

    try:
        signin_record(user=user, ip_address=client_ip(request), door=_door(request))
    except Exception:  # the sign-in itself must not fail because the trail cannot be written now
        logger.exception("could not audit the sign-in of %r", getattr(user, "username", None))


def on_password_failed(sender, credentials=None, request=None, **kwargs):
    if not _from_a_form(request):
        return
    from .actions import signin_failed_record

    username = (credentials or {}).get("username") or ""
    try:
        signin_failed_record(
            username=str(username),
            ip_address=client_ip(request),
            door=_door(request),
            locked=bool(getattr(request, "axes_locked_out", False)),
        )
    except Exception:
        logger.exception("could not audit a failed sign-in of %r", username)
