"""The auditor's journey through /audit/ in headless Chromium: filter by a dossier, download the CSV
of the same filters, verify the chain; readable at 375 px."""

import pytest

from councils.models import User
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_auditor_filters_downloads_and_verifies(users, api, make_draft, login, live_server):
    for u in User.objects.all():
        u.set_password("mat-khau-thu-nghiem")
        u.save()
    iid = make_draft("author1")["id"]
    for who, name, comment in (("author1", "submit", ""), ("u1_adv", "return", "Thiếu bảng số liệu")):
        r = api(users[who]).post(f"/api/v1/initiatives/{iid}/actions/{name}/", {"comment": comment}, format="json")
        assert r.status_code == 200, r.content
    make_draft("author3", organisation="XN3", authors=[{"username": "author3", "share_percent": 100}])

    page = login("auditor_n")
    page.click("header nav >> text=Nhật ký kiểm toán")
    page.fill("#f-initiative", str(iid))
    page.click("form.filters button.primary")
    page.wait_for_load_state()
    text = page.inner_text("table.trail")
    assert "Trả lại" in text and "Thiếu bảng số liệu" in text and "Công đoàn Xí nghiệp 3" not in text

    with page.expect_download() as download:
        page.click("text=Tải CSV")
    rows = open(download.value.path(), encoding="utf-8-sig").read().splitlines()
    assert rows[0].startswith("seq,at,actor") and len(rows) == 4  # create, submit, return
    assert all(f",initiative,{iid}," in r for r in rows[1:])

    page.click("text=Kiểm tra chuỗi")
    page.wait_for_load_state()
    assert "Chuỗi nguyên vẹn" in page.inner_text(".verify")
    assert page.input_value("#f-initiative") == str(iid)  # the filters stay
    shot(page, "audit-verified")

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(page.url)
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 376)"
        ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 12)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, wide
    shot(page, "audit-phone")
