"""Sign-in throttling (django-axes): the lock-out page and the audit entry of each lock-out.

Axes counts wrong passwords per username (``AXES_*`` settings) on every door that signs in with
a password — the login page and the admin's login (both call ``authenticate`` with the request).
When it locks an account it sends ``user_locked_out``; ``on_user_locked_out`` turns that into one
entry in the trail (security logging: it records, it decides nothing). Unlock before the cool-off
ends with ``manage.py axes_reset_username USERNAME`` (or ``axes_reset`` for everyone).
"""

import logging

from django.conf import settings
from django.shortcuts import render

logger = logging.getLogger(__name__)


def on_user_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    # Axes also reports attempts made while the lock already holds (they are not counted):
    # only the attempt that crossed the limit carries a count, so each lock-out is audited once.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    from .actions import login_lockout_record

    try:
        login_lockout_record(username=username, ip_address=ip_address, failures=failures)
    except Exception:  # the lock itself must hold even if the trail cannot be written now
        logger.exception("could not audit the lock-out of %r", username)


def lockout_response(request, original_response=None, credentials=None):
    """The page shown instead of the login form while an account is locked (HTTP 429)."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
