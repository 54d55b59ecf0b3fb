"""Helpers for two-factor sign-in in tests.

``give_authenticator(user)`` gives a person a confirmed authenticator with a known secret, as
enrolment would; ``totp_now(device)`` is the code an authenticator app shows now (RFC 6238);
``sign_in_with_code(client, user)`` signs in through the real doors: the password form, then the
code step. The root conftest makes ``Client.force_login`` complete the second factor too
(``verified_session``), so tests about other things need not care; tests of two-factor sign-in
itself (tests/twofactor/) go through the pages."""

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

# the RFC 6238 test secret ("12345678901234567890"), hex as django-otp stores it
TEST_TOTP_KEY = "3132333435363738393031323334353637383930"


def give_authenticator(user, key: str = TEST_TOTP_KEY) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", key=key, confirmed=True)
    return device


def totp_now(device: TOTPDevice, *, fresh: bool = True) -> str:
    """The code the app shows now. ``fresh``: forget the last time step used first, so that two
    sign-ins of one person within 30 seconds both pass (the app would show the next code)."""
    if fresh:
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
        device.last_t = -1
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(code).zfill(device.digits) if not isinstance(code, str) else code


def verified_session(client, user) -> None:
    """Mark ``client``'s session (already signed in as ``user``) as having passed the second
    factor, with the person's authenticator (given one if they need it and have none)."""
    from twofactor.policy import has_authenticator, second_factor_required

    if not (second_factor_required(user) or has_authenticator(user)):
        return
    device = give_authenticator(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def sign_in_with_code(client, user, password: str, *, door: str = "/accounts/login/"):
    """Password, then the code step, through the pages. Returns the code step's response."""
    r = client.post(door, {"username": user.username, "password": password})
    assert r.status_code == 302, r
    device = give_authenticator(user)
    return client.post("/accounts/2fa/verify/", {"code": totp_now(device)})


def wait_for_next_step():
    time.sleep(30 - time.time() % 30 + 0.1)
