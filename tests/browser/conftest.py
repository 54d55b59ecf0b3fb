import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop on the test thread; the ORM calls the tests make there are
# still synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=path,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def login(browser, live_server):
    """login(username) → a signed-in page (``lang="en"`` for an English browser; ``dialogs``: a list
    that records every confirmation the page asks, each accepted). People who must sign in with a
    second factor (twofactor.policy) get an authenticator with a known secret, and the code step is
    filled in with the code it shows now, as a person would. ``form=False``: the session cookie the
    sign-in would have set, put in the browser (the journeys about the work, not the sign-in, whose
    pages tests/browser/test_two_factor_journey.py and the other journeys go through)."""
    from councils.models import User
    from tests.otp import give_authenticator, totp_now
    from twofactor.policy import has_authenticator, second_factor_required

    def go(username, password="mat-khau-thu-nghiem", *, lang="vi", dialogs=None, form=True):
        locale = "vi-VN" if lang == "vi" else "en-US"
        user = User.objects.filter(username=username).first()
        if not form:  # signed in as the sign-in form would have done it: its session cookie
            from django.conf import settings
            from django.test import Client

            client = Client()
            client.force_login(user)  # the whole sign-in, second factor included (tests/conftest.py)
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
            page = context.new_page()
        else:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=locale)
        if dialogs is not None:
            page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
        if not form:
            return page
        device = None
        if user is not None and (second_factor_required(user) or has_authenticator(user)):
            device = give_authenticator(user)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button.primary")
        page.wait_for_load_state()
        if device is not None and "/accounts/2fa/verify/" in page.url:
            page.fill("#id_code", totp_now(device))
            page.click("main button.primary")
            page.wait_for_load_state()
        return page

    return go


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False, timeout=15000)
