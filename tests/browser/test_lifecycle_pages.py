"""A dossier's journey through the pages, in headless Chromium, as the people would click it."""

import pytest

from councils.models import User
from initiatives.models import Initiative
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(structure):
    for u in User.objects.all():
        u.set_password("mat-khau-thu-nghiem")
        u.save()


def test_draft_to_corporation_council_through_the_pages(people, login, live_server):
    page = login("author1")
    asked = []  # each step that cannot be undone asks first, saying what will happen
    page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    assert "Tác Giả Một" in page.content()
    page.click("text=Tạo sáng kiến mới")
    page.fill("#f-title", "Ngắn")
    page.click("main button.primary")
    assert "ít nhất 10 ký tự" in page.content()  # the form says what is wrong, and keeps the input
    page.fill("#f-title", "Giá đỡ sào cách điện cho thao tác hotline")
    page.fill("#f-summary", "Giảm thời gian thao tác và tăng an toàn.")
    page.fill("#f-benefit", "95000000")
    page.click("main button.primary")
    assert "Đã tạo bản nháp" in page.content()
    page.click("button[value=submit]")  # an incomplete dossier is refused at submit, saying what is missing
    assert "Cần điền nội dung giải pháp trước khi nộp" in page.content()
    page.click("text=Sửa hồ sơ")
    page.fill("#f-problem", "Thao tác hotline phải giữ sào bằng tay.")
    page.fill("#f-solution", "Giá đỡ kẹp vào xà, giữ sào cách điện cố định.")
    page.fill("#f-applied", "2022-03-01")
    page.click("main button.primary")
    initiative = Initiative.objects.get(title="Giá đỡ sào cách điện cho thao tác hotline")
    shot(page, "initiative-draft")
    page.click("button[value=submit]")
    assert "Tổ tư vấn xem xét" in page.content()
    assert asked and "Nộp hồ sơ cho tổ tư vấn" in asked[-1]

    adviser = login("u1_adv")
    adviser.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    adviser.goto(f"{live_server.url}/tasks/")
    adviser.click(f"text={initiative.reference}")
    adviser.click("button[value=return]")  # the browser insists on the reason first
    assert Initiative.objects.get(pk=initiative.pk).state == "advisory_review"
    adviser.click("button[value=forward]")
    assert "Hội đồng cấp đơn vị" in adviser.content()
    assert "Hồ sơ sẽ chuyển đến" in asked[-1] and "hạn quyết định" in asked[-1]

    for member in ("u1_chair", "u1_sec", "u1_m1"):
        p = login(member)
        p.goto(f"{live_server.url}/initiatives/{initiative.pk}/")
        p.check("input[name=decision][value=approve]")
        p.fill("#v-score", "85")
        p.click("text=Gửi phiếu")
        assert "Đã ghi nhận phiếu" in p.content()
    chair = login("u1_chair")
    chair.goto(f"{live_server.url}/initiatives/{initiative.pk}/")
    assert chair.locator("button[value=restart]").count() == 0  # voiding the votes is not offered next to close
    chair.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    chair.click("button[value=close]")
    assert "Kết thúc phiên xét?" in asked[-1]
    content = chair.content()
    assert "Hội đồng cấp tổng công ty" in content and "Biên bản" in content
    assert "Hội đồng quyết định «Công nhận, chuyển cấp trên»" in content
    shot(chair, "initiative-after-close")
    assert Initiative.objects.get(pk=initiative.pk).state == "corporation_council"


def test_refusals_are_explained_on_the_page(people, login, live_server, make_draft):
    d = make_draft("author1")
    outsider = login("outsider")
    r = outsider.goto(f"{live_server.url}/initiatives/{d['id']}/")
    assert r.status == 404
    officer = login("officer_a")
    officer.goto(f"{live_server.url}/initiatives/{d['id']}/")
    assert "Sửa hồ sơ" not in officer.content()
