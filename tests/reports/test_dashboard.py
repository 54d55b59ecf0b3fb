"""The dashboard: rendered for an officer's organisation; checked in headless Chromium."""

import copy
import datetime
from pathlib import Path

import pytest

from tests.reports.test_blocs import BLOCS

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def dashboard_data(report_structure, structure_data, make_initiative):
    from councils.models import User
    from workflow.structure import structure_load

    data = copy.deepcopy(structure_data)
    data["blocs"] = copy.deepcopy(BLOCS)
    structure_load(data=data)
    for i in range(6):
        day = datetime.date(2021, 10, 5) + datetime.timedelta(days=40 * i)
        make_initiative("XN1", submitted=day, recognised=day + datetime.timedelta(days=20))
    make_initiative("XN2", submitted=datetime.date(2022, 3, 3))
    officer = User.objects.get(username="officer_a")
    officer.set_password("matkhau-2026")
    officer.save()
    return officer


@pytest.mark.django_db
def test_the_dashboard_renders_bars_chart_and_blocs(dashboard_data, client):
    client.force_login(dashboard_data)
    r = client.get("/reports/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<svg" in html and "series-registered" in html and "series-recognised" in html
    assert html.count('class="bar"') == 2  # XN1, XN2
    assert "Khối thi đua 2" in html
    assert 'id="total-benefit"' in html
    assert '<select id="id_org" name="organisation"' in html and 'value="XN1"' in html
    assert client.get("/reports/?organisation=TCTB").status_code == 403
    client.logout()
    assert client.get("/reports/").status_code == 302


@pytest.mark.django_db
def test_an_unknown_organisation_shows_the_page_with_a_message(dashboard_data, client):
    client.force_login(dashboard_data)
    r = client.get("/reports/", {"organisation": "KHONGCO"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="org-notice"' in html and "KHONGCO" in html
    assert 'id="total-registered"' in html


def test_only_units_below_target_are_behind():
    from reports.views import behind_target

    rows = [
        {"level": "unit", "name": "A", "target": 10, "registered": 30, "percent_of_target": 300.0},
        {"level": "unit", "name": "B", "target": 10, "registered": 5, "percent_of_target": 50.0},
        {"level": "unit", "name": "C", "target": 10, "registered": 10, "percent_of_target": 100.0},
        {"level": "unit", "name": "D", "target": 10, "registered": 2, "percent_of_target": 20.0},
        {"level": "unit", "name": "E", "target": 0, "registered": 0, "percent_of_target": None},
        {"level": "corporation", "name": "F", "target": 10, "registered": 1, "percent_of_target": 10.0},
    ]
    assert [r["name"] for r in behind_target(rows)] == ["D", "B"]
    assert behind_target(rows[:1]) == []


@pytest.mark.django_db
def test_the_behind_list_and_its_empty_state(dashboard_data, client, make_initiative):
    client.force_login(dashboard_data)
    html = client.get("/reports/").content.decode()
    behind = html.split('id="behind"')[1].split("</ol>")[0]
    assert "XN2" in behind or "Xí nghiệp 2" in behind, behind
    html = client.get("/reports/", {"organisation": "XN1"}).content.decode()
    assert "Tổ công đoàn 1 — 0/2" in html.split('id="behind"')[1].split("</ol>")[0]
    for _ in range(2):
        make_initiative("TO1", submitted=datetime.date(2021, 10, 1))
    html = client.get("/reports/", {"organisation": "XN1"}).content.decode()
    assert 'id="behind"' not in html and "Tất cả đơn vị đã đạt chỉ tiêu" in html


def test_the_trend_chart_has_round_ticks_and_translated_legend():
    import datetime as dt

    from reports.svg import label_step, nice_ticks, trend_chart

    assert nice_ticks(5) == [0, 2, 4, 6]
    assert nice_ticks(46) == [0, 20, 40, 60]
    assert nice_ticks(37) == [0, 10, 20, 30, 40]
    assert nice_ticks(0) == [0, 1]
    assert label_step(63, 896) == 3
    months = [dt.date(2021 + (8 + i) // 12, (8 + i) % 12 + 1, 1) for i in range(63)]
    svg = trend_chart([{"month": m, "registered": i % 7, "recognised": i % 3} for i, m in enumerate(months)])
    assert ">09/21<" in svg and ">12/21<" in svg and ">10/21<" not in svg
    assert "Đăng ký" in svg and "Công nhận" in svg and "/ Registered" not in svg


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_in_chromium(dashboard_data, live_server):
    from playwright.sync_api import sync_playwright

    from councils.models import User
    from tests.otp import give_authenticator, totp_now

    # the code the app shows now (read before Playwright's loop starts: the ORM is synchronous); a
    # code stays good for a minute (one time step either side)
    code = totp_now(give_authenticator(User.objects.get(username="officer_a")))
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(f"{live_server.url}/accounts/login/?next=/reports/")
            page.fill("#id_username", "officer_a")
            page.fill("#id_password", "matkhau-2026")
            page.click("button[type=submit].primary")
            # an officer signs in with a second factor: the code step, with the code the app shows now
            page.wait_for_url("**/accounts/2fa/verify/**")
            page.fill("#id_code", code)
            page.click("button[type=submit].primary")
            page.wait_for_url(f"{live_server.url}/reports/")
            assert page.locator("svg.trend polyline.series-registered").count() == 1
            assert page.locator("svg.trend polyline.series-recognised").count() == 1
            bars = page.locator("table.progress .bar")
            assert bars.count() == 2
            fill = page.locator("table.progress .bar-fill").first.bounding_box()
            assert fill and fill["width"] > 0
            assert page.locator("#total-registered").inner_text() == "7"
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


@pytest.mark.django_db
def test_the_monthly_workbook_is_downloaded_from_the_dashboard(dashboard_data, client):
    """Issue 9, finding 8: the officer's workbook from the page, without knowing the API's ?organisation=."""
    import io

    from openpyxl import load_workbook

    client.force_login(dashboard_data)
    html = client.get("/reports/", {"organisation": "TCTA"}).content.decode()
    assert 'id="monthly-workbook"' in html and 'name="organisation" value="TCTA"' in html
    r = client.get("/reports/monthly.xlsx", {"organisation": "TCTA", "month": "2022-03"})
    assert r.status_code == 302 and r["Location"] == "/api/v1/reports/monthly/2022-03.xlsx?organisation=TCTA"
    r = client.get(r["Location"])
    assert r.status_code == 200 and load_workbook(
        io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content)
    )
    # a bad month goes back to the dashboard of the same organisation, saying why
    r = client.get("/reports/monthly.xlsx", {"organisation": "TCTA", "month": "03/2022"}, follow=True)
    assert r.redirect_chain[-1][0] == "/reports/?organisation=TCTA"
    assert "Tháng phải có dạng YYYY-MM" in r.content.decode()
    # who may not read the organisation's reports gets the API's refusal, not the workbook
    client.force_login(dashboard_data.__class__.objects.get(username="officer_x1"))
    r = client.get("/reports/monthly.xlsx", {"organisation": "TCTA", "month": "2022-03"}, follow=True)
    assert r.status_code == 403
