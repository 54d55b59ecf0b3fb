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
    assert client.get("/reports/?organisation=TCTB").status_code == 403
    client.logout()
    assert client.get("/reports/").status_code == 302


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_in_chromium(dashboard_data, live_server):
    from playwright.sync_api import sync_playwright

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
