"""Two-factor sign-in: enrolment, the code step, recovery codes, removing an authenticator, and
the sign-in trail. Each function locks what it changes, checks, writes, and appends its entry to
the audit trail in the same transaction (``audit_record``: the chain's API, unchanged).

Entries are about a person: ``object_type="user"``, ``object_id`` the person's id, in the scope
of their organisation, so the auditors of that subtree read them (as ``login_locked_out``). No
entry ever holds a password, a code or a secret."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import audit_record
from councils.models import User
from councils.selectors import user_manageable_by
from initiatives.exceptions import ApplicationError

from .models import RecoveryCode, RecoveryCodeDevice, code_digest, new_code, normalise_code
from .policy import second_factor_required

RECOVERY_CODE_COUNT = 10


def _record(*, user: User | None, actor, action: str, username: str = "", details: dict | None = None):
    audit_record(
        actor=actor,
        action=action,
        object_type="user",
        object_id=str(user.pk) if user else (username or "")[:64],
        scope_path=user.audit_scope_path if user else "",
        details=details or {},
    )


def _lock_user(user_id: int) -> User:
    return User.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=user_id)


# ---- the sign-in trail (password step) ---------------------------------------------------------


@transaction.atomic
def signin_record(*, user: User, ip_address: str | None, door: str) -> None:
    """A password was accepted on ``door`` (the sign-in page or the admin's). Whether the second
    factor is still to come is recorded: ``pending`` (asked next), or ``none``."""
    from .policy import has_authenticator

    pending = second_factor_required(user) or has_authenticator(user)
    _record(
        user=user,
        actor=user,
        action="login",
        details={"ip_address": ip_address or "", "door": door, "second_factor": "pending" if pending else "none"},
    )


@transaction.atomic
def signin_failed_record(*, username: str | None, ip_address: str | None, door: str, locked: bool) -> None:
    """A wrong password (or any password while the account is locked) for ``username``."""
    tried = (username or "")[:150]
    user = User.objects.filter(username=tried).select_related("organisation").first() if tried else None
    _record(
        user=user,
        actor=None,
        action="login_failed",
        username=tried,
        details={
            "username": tried,
            "ip_address": ip_address or "",
            "door": door,
            "known_user": bool(user),
            "locked": locked,
        },
    )


# ---- enrolment ----------------------------------------------------------------------------------


@transaction.atomic
def authenticator_enrol_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator secret for ``user`` (shown as a QR code and as text). It
    does nothing until confirmed with a code from it; an earlier unconfirmed one is replaced."""
    _lock_user(user.pk)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ApplicationError(_("Tài khoản đã có ứng dụng xác thực."), code="already_enrolled")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [new_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(device=device, digest=code_digest(c)) for c in codes])
    return codes


@transaction.atomic
def authenticator_enrol_confirm(*, user: User, code: str, ip_address: str | None = None):
    """Confirm the pending authenticator with a code it shows. Returns ``(device, recovery_codes)``
    — the codes in clear this once, never again — or ``(None, [])`` when the code is wrong (the
    failure is recorded)."""
    user = _lock_user(user.pk)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ApplicationError(_("Tài khoản đã có ứng dụng xác thực."), code="already_enrolled")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise ApplicationError(_("Chưa bắt đầu đăng ký ứng dụng xác thực."), code="no_pending_device")
    if not device.verify_token(normalise_code(code)):
        _record(
            user=user,
            actor=user,
            action="login_otp_failed",
            details={"stage": "enrol", "ip_address": ip_address or ""},
        )
        return None, []
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    _record(
        user=user,
        actor=user,
        action="otp_enrol",
        details={"device": "totp", "recovery_codes": len(codes), "ip_address": ip_address or ""},
    )
    return device, codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User, ip_address: str | None = None) -> list[str]:
    """A new set of recovery codes for ``user`` (the old ones stop working). Shown once."""
    user = _lock_user(user.pk)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ApplicationError(_("Hãy đăng ký ứng dụng xác thực trước."), code="not_enrolled")
    codes = _new_recovery_codes(user)
    _record(
        user=user,
        actor=user,
        action="otp_recovery_codes_new",
        details={"recovery_codes": len(codes), "ip_address": ip_address or ""},
    )
    return codes


# ---- the code step ------------------------------------------------------------------------------


@transaction.atomic
def second_factor_verify(*, user: User, code: str, ip_address: str | None = None):
    """Check a code from the authenticator (6 digits) or a recovery code. Returns the device that
    accepted it (the caller marks the session verified with ``django_otp.login``), or ``None``.
    A TOTP code is accepted once (django-otp keeps the last time step used); after failures the
    authenticator answers only after a growing delay (django-otp's throttling). Every attempt is
    recorded: ``login_otp``, ``login_recovery_code`` (with how many codes are left) or
    ``login_otp_failed``."""
    user = _lock_user(user.pk)
    text = normalise_code(code)
    base = {"ip_address": ip_address or ""}
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if totp is not None and text.isdigit() and len(text) == totp.digits:
        allowed, _info = totp.verify_is_allowed()
        if not allowed:
            _record(user=user, actor=user, action="login_otp_failed", details={**base, "stage": "throttled"})
            return None
        if totp.verify_token(text):
            _record(user=user, actor=user, action="login_otp", details={**base, "device": "totp"})
            return totp
        _record(user=user, actor=user, action="login_otp_failed", details={**base, "stage": "totp"})
        return None
    recovery = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    if totp is not None and recovery is not None and recovery.verify_token(text):
        _record(
            user=user,
            actor=user,
            action="login_recovery_code",
            details={**base, "device": "recovery", "remaining": recovery.remaining()},
        )
        return recovery
    _record(user=user, actor=user, action="login_otp_failed", details={**base, "stage": "recovery"})
    return None


# ---- removing an authenticator ------------------------------------------------------------------


@transaction.atomic
def authenticator_remove(*, user_id: int, actor, reason: str = "") -> bool:
    """Remove a person's authenticator and recovery codes. ``actor`` is the person themself (the
    account page asks for a current code first), an administrator who manages the account (a lost
    phone), or ``None``: the operator's ``manage.py otp_reset USERNAME`` on the server. A person
    for whom the second factor is required is sent to enrolment again at their next request."""
    user = _lock_user(user_id)
    if actor is not None and actor.pk != user.pk and not user_manageable_by(actor=actor, user=user):
        raise PermissionDenied(_("Bạn không quản lý tài khoản này."))
    totp = TOTPDevice.objects.filter(user=user).delete()[0]
    RecoveryCodeDevice.objects.filter(user=user).delete()
    if not totp:
        return False
    _record(
        user=user,
        actor=actor,
        action="otp_device_remove",
        details={
            "by": "self" if actor is not None and actor.pk == user.pk else ("admin" if actor else "operator"),
            "reason": reason[:300],
        },
    )
    return True


@transaction.atomic
def authenticator_install(*, user_id: int, key_hex: str, actor=None) -> bool:
    """Give a person a confirmed authenticator with a secret chosen by the system (the demo's
    deciders share one printed secret, so that ``make run`` users can add it to an app). Only the
    system (``actor=None``: ``seed_demo``) does this; a person who already has one keeps theirs."""
    if actor is not None:
        raise PermissionDenied(_("Chỉ hệ thống được cài sẵn ứng dụng xác thực."))
    user = _lock_user(user_id)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return False
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="authenticator", key=key_hex, confirmed=True)
    _record(user=user, actor=None, action="otp_enrol", details={"device": "totp", "by": "system"})
    return True
