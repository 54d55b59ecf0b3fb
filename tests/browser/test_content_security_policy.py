"""Under the Content-Security-Policy the pages still work in Chromium: nothing is refused, the
language switcher switches, the withdraw button asks first, the admin and the dashboard load."""

import pytest

from councils.models import Council, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(structure):
    for u in User.objects.all():
        u.set_password("mat-khau-thu-nghiem")
        u.save()


def test_the_pages_run_under_the_policy(people, login, live_server, make_draft):
    draft = make_draft()
    refused = []
    page = login("author1")
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    for path in ("/", "/initiatives/", f"/initiatives/{draft['id']}/", "/awards/", "/help/"):
        page.goto(f"{live_server.url}{path}")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{live_server.url}/initiatives/{draft['id']}/")
    page.click("button[value=withdraw]")
    assert dialogs and "Rút sáng kiến này" in dialogs[0]  # dismissed: nothing withdrawn
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")  # site.js submits the form on change
    page.wait_for_selector("html[lang=en]")

    admin = login("admin_n")
    admin.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    council = Council.objects.get(code="XN1-HD")
    author = User.objects.get(username="author1")
    for path in (
        "/admin/",
        "/admin/councils/organisation/",
        "/admin/councils/council/",
        f"/admin/councils/council/{council.pk}/change/",
        f"/admin/councils/user/{author.pk}/change/",
        f"/admin/councils/user/{author.pk}/password/",
        "/admin/councils/organisation/add/",
        "/reports/",
    ):
        admin.goto(f"{live_server.url}{path}")
    assert not refused, refused
