"""Two-factor sign-in in headless Chromium, as a new council chair meets it: the password, then
enrolment (QR code and the secret as text, read off the page into "an authenticator"), the
recovery codes shown once, the pages; signing in again asks for the code, a wrong one is refused
with a clear message, a recovery code lets them in once. Every page passes the accessibility and
phone-width checks."""

import base64

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from councils.models import User
from tests.browser.checks import look

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "mat-khau-thu-nghiem"


@pytest.fixture
def chair(structure, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = User.objects.get(username="u1_chair")
    user.set_password(PASSWORD)
    user.save()
    return user


def password_step(browser, live_server, lang="vi"):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN" if lang == "vi" else "en-US")
    page.goto(f"{live_server.url}/tasks/")
    page.fill("#id_username", "u1_chair")
    page.fill("#id_password", PASSWORD)
    page.click("main button.primary")
    page.wait_for_load_state()
    return page


def test_a_new_chair_enrols_then_signs_in_with_a_code_or_a_recovery_code(chair, browser, live_server):
    page = password_step(browser, live_server)
    assert "/accounts/2fa/enrol/" in page.url
    assert page.locator(".otp-qr svg").count() == 1
    look(page, "otp-enrol")
    # blocked elsewhere until enrolled: the server says so, whatever the links
    page.goto(f"{live_server.url}/initiatives/")
    assert "/accounts/2fa/enrol/" in page.url
    secret = page.locator("#otp-secret").inner_text()
    page.fill("#id_code", "000000")
    page.click("main button.primary")
    assert "Mã không đúng hoặc đã hết hạn" in page.locator("#otp-error").inner_text()
    enrolled_with = str(totp(base64.b32decode(secret.replace(" ", "")))).zfill(6)
    page.fill("#id_code", enrolled_with)
    page.click("main button.primary")
    page.wait_for_load_state()
    codes = page.locator("ul.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    look(page, "otp-recovery-codes")
    page.click("text=Tôi đã lưu các mã, tiếp tục")
    page.wait_for_load_state()
    assert page.url.endswith("/initiatives/")  # where they were going when sent to enrol
    page.close()

    # the next sign-in asks for the code; the one just used is refused (a code works once — the
    # same code, not a recomputed one: the 30-second step may have moved on meanwhile)
    page = password_step(browser, live_server)
    assert "/accounts/2fa/verify/" in page.url
    look(page, "otp-verify")
    page.fill("#id_code", enrolled_with)
    page.click("main button.primary")
    page.wait_for_load_state()
    assert "/accounts/2fa/verify/" in page.url and page.locator("#otp-error").is_visible()
    # a recovery code lets them in, once
    page.fill("#id_code", codes[0])
    page.click("main button.primary")
    page.wait_for_load_state()
    assert page.url.endswith("/tasks/") and "Còn 9 mã" in page.content()
    page.close()
    page = password_step(browser, live_server, lang="en")
    page.fill("#id_code", codes[0])
    page.click("main button.primary")
    page.wait_for_load_state()
    assert "The code is wrong or has expired" in page.locator("#otp-error").inner_text()
    page.close()

    assert TOTPDevice.objects.get(user=chair).confirmed
    actions = list(
        AuditEntry.objects.filter(object_type="user", object_id=str(chair.pk)).values_list("action", flat=True)
    )
    assert actions[-8:] == [
        "login",
        "login_otp_failed",
        "otp_enrol",
        "login",
        "login_otp_failed",
        "login_recovery_code",
        "login",
        "login_otp_failed",
    ]
