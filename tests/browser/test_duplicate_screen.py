"""Issue 11: the draft form lists likely duplicates as the title is typed (static/js/site.js calls
GET /api/v1/duplicates/; CSP-safe, no inline script). One lean journey."""

import pytest

from councils.models import User
from tests.browser.checks import look

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EARLIER = "Dụng cụ thay cầu chì tự rơi không cần cắt điện"


def test_the_draft_form_shows_likely_duplicates_while_typing(structure, login, live_server, api, users, make_draft):
    for u in User.objects.filter(username__in=["author1", "author2"]):
        u.set_password("mat-khau-thu-nghiem")
        u.save()
    d = make_draft(
        "author2",
        title=EARLIER,
        summary="Sào cách điện có đầu kẹp thay ống chì FCO khi lưới 22 kV mang điện.",
        organisation="XN2",
        authors=[{"username": "author2", "share_percent": 100}],
    )
    assert (
        api(users["author2"]).post(f"/api/v1/initiatives/{d['id']}/actions/submit/", {}, format="json").status_code
        == 200
    )

    page = login("author1")
    page.goto(f"{live_server.url}/initiatives/new/")
    assert page.locator("#duplicates").is_hidden()
    page.fill("#f-title", "Thay FCO hotline bằng sào cách điện")
    page.fill("#f-summary", "Không phải cắt điện lưới trung thế khi thay ống chì cầu chì tự rơi")
    page.locator("#duplicates li").first.wait_for(timeout=10_000)
    text = page.locator("#duplicates").inner_text()
    assert "XN2" in text and EARLIER not in text  # author1 may not open XN2's dossier: its unit only
    look(page, "duplicate-screen-while-typing")
