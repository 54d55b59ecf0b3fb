"""A unit officer nominates a recognised initiative, the corporation's officer passes it up, the
sector's committee sees it first and picks it among the monthly five (headless Chromium)."""

import datetime

import pytest
from django.utils import timezone

from awards.models import Certificate
from councils.models import User
from initiatives.models import Initiative, State
from tests.browser.checks import look

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(structure):
    for u in User.objects.all():
        u.set_password("mat-khau-thu-nghiem")
        u.save()


def recognise(make_draft, title, benefit):
    d = make_draft("author1", title=title, benefit_value_vnd=benefit)
    Initiative.objects.filter(pk=d["id"]).update(
        state=State.SECTOR_REVIEW, recognised_at=timezone.now() - datetime.timedelta(days=1)
    )
    return d["id"]


def test_a_nomination_travels_up_and_the_sector_picks_it(people, login, live_server, make_draft):
    nominated = recognise(make_draft, "Sáng kiến đo nhiệt độ đầu cáp bằng cảm biến không dây", 50_000_000)
    richer = recognise(make_draft, "Sáng kiến khác có lợi lớn hơn", 900_000_000)

    unit = login("officer_x1")
    unit.goto(f"{live_server.url}/awards/nominations/")
    unit.check(f"#nominate-{nominated}")
    unit.fill("#n-comment", "Giảm một nửa thời gian kiểm tra đầu cáp")
    unit.click("#nominate-submit")
    unit.wait_for_load_state()
    assert "Đã đề cử 1 sáng kiến" in unit.content()
    look(unit, "nominations-unit")

    corporation = login("officer_a")
    corporation.goto(f"{live_server.url}/awards/nominations/?organisation=TCTA")
    assert "Giảm một nửa thời gian kiểm tra đầu cáp" in corporation.inner_text("#received")
    corporation.check(f"#pass-{nominated}")
    corporation.fill("#n-comment", "Tổng công ty đề cử lên ngành")
    corporation.click("#nominate-submit")
    corporation.wait_for_load_state()
    assert "Đã đề cử 1 sáng kiến lên Công đoàn ngành Thử" in corporation.content()

    dialogs = []
    sector = login("s_chair", dialogs=dialogs)
    sector.goto(f"{live_server.url}/awards/?organisation=NGANH")
    titles = sector.locator(".candidate-title").all_inner_texts()
    assert titles[0].startswith("Sáng kiến đo nhiệt độ") and "Sáng kiến khác có lợi lớn hơn" in titles[1:]
    assert "Được đề cử bởi TCTA" in sector.content()
    sector.check(f"#pick-{nominated}")
    sector.click("text=Chọn biểu dương")
    sector.wait_for_load_state()
    assert dialogs and Certificate.objects.filter(initiative_id=nominated, award="monthly_commendation").exists()
    assert not Certificate.objects.filter(initiative_id=richer).exists()
