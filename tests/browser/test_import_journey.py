"""An officer imports a register in headless Chromium (issue 11, item 5): a register with a bad row
is reported row by row, only the good row is imported, and the same file uploaded again imports
nothing twice."""

import datetime

import pytest

from councils.models import User
from initiatives.models import Initiative
from tests.browser.checks import look
from tests.reports.test_import import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_imports_only_the_good_rows_then_nothing_twice(structure, login, live_server, tmp_path):
    for u in User.objects.filter(username="officer_x1"):
        u.set_password("mat-khau-thu-nghiem")
        u.save()
    good = ["BR-1", "Cải tiến dụng cụ đo điện trở tiếp địa", "XN1", "technical", "author1", 90_000_000, None,
            datetime.date(2022, 2, 1), None]  # fmt: skip
    bad = ["BR-2", "Ngắn", "XN1", "technical", "author1", 0, None, datetime.date(2022, 2, 1), None]
    path = register(tmp_path, [good, bad])

    dialogs = []
    page = login("officer_x1", dialogs=dialogs)
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#i-file", str(path))
    page.click("main form button.primary")
    page.wait_for_load_state()
    assert "1 dòng bị từ chối, chưa nhập gì" in page.inner_text("#report")
    assert "Tên sáng kiến" in page.inner_text("table.refused")
    look(page, "import-report")
    page.click("text=Chỉ nhập 1 dòng hợp lệ")
    page.wait_for_load_state()
    assert dialogs and "Chỉ nhập 1 dòng hợp lệ?" in dialogs[0]
    assert "Đã nhập 1 sáng kiến" in page.inner_text("#report")
    assert list(Initiative.objects.values_list("reference", flat=True)) == ["BR-1"]

    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#i-file", str(path))
    page.click("main form button.primary")
    page.wait_for_load_state()
    assert "không nhập lại lần nữa" in page.inner_text("main")
    assert Initiative.objects.count() == 1
