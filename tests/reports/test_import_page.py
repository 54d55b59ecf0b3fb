"""The register import from a page (issue 9, build 6: "officer — the register import upload with
its row report"): the template, the upload checked whole before anything is written, every refused
row with its reason, the confirmation that imports it all; who may; files that are not registers."""

import datetime
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from initiatives.models import Initiative

from .test_import import HEADERS, register

pytestmark = pytest.mark.django_db

GOOD = [
    "REG-P1",
    "Cải tiến dụng cụ đo điện trở tiếp địa",
    "XN1",
    "technical",
    "author1",
    90_000_000,
    datetime.date(2022, 1, 5),
    datetime.date(2022, 2, 1),
    None,
]


def _upload(client, path):
    with open(path, "rb") as f:
        return client.post("/imports/", {"file": f})


def test_the_template_carries_the_headings_the_import_reads(report_structure, client, users):
    client.force_login(users["officer_x1"])
    page = client.get("/imports/")
    assert page.status_code == 200 and "/imports/template.xlsx" in page.content.decode()
    r = client.get("/imports/template.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS
    assert wb.worksheets[1]["A2"].value == "Số hồ sơ"


def test_a_bad_register_lists_every_refused_row_and_writes_nothing(report_structure, client, users, tmp_path):
    bad = list(GOOD)
    bad[0], bad[1] = "REG-P3", "Ngắn"  # too short a title
    other = list(GOOD)
    other[0], other[2] = "REG-P2", "KHONG-CO"
    client.force_login(users["officer_x1"])
    r = _upload(client, register(tmp_path, [GOOD, bad, other]))
    assert r.status_code == 400
    html = r.content.decode()
    assert "2 lỗi, chưa nhập gì" in html and "dòng 3:" in html and "dòng 4:" in html and "KHONG-CO" in html
    assert 'name="token"' not in html
    assert not Initiative.objects.filter(reference__startswith="REG-P").exists()


def test_a_good_register_is_checked_then_imported_on_confirmation(report_structure, client, users, tmp_path, settings):
    second = list(GOOD)
    second[0], second[1] = "REG-P2", "Quy trình tiếp nhận hồ sơ điện tử"
    client.force_login(users["officer_x1"])
    r = _upload(client, register(tmp_path, [GOOD, second]))
    html = r.content.decode()
    assert r.status_code == 200 and "2 dòng hợp lệ" in html and "Nhập 2 sáng kiến" in html
    assert not Initiative.objects.filter(reference__startswith="REG-P").exists()  # nothing yet
    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    r = client.post("/imports/confirm/", {"token": token})
    assert r.status_code == 302
    assert set(Initiative.objects.filter(reference__startswith="REG-P").values_list("reference", flat=True)) == {
        "REG-P1",
        "REG-P2",
    }
    assert "Đã nhập 2 sáng kiến" in client.get(r["Location"]).content.decode()
    # the kept file is gone; confirming again imports nothing twice
    assert not list((Path(settings.MEDIA_ROOT) / "imports").glob("*"))
    r = client.post("/imports/confirm/", {"token": token}, follow=True)
    assert "hãy tải sổ lên lại" in r.content.decode()
    assert Initiative.objects.filter(reference__startswith="REG-P").count() == 2


def test_an_officer_of_another_unit_is_refused_row_by_row(report_structure, client, users, tmp_path):
    row = list(GOOD)
    row[2] = "XN2"
    client.force_login(users["officer_x1"])
    r = _upload(client, register(tmp_path, [row]))
    assert r.status_code == 400 and "bạn không phải cán bộ của &#x27;XN2&#x27;" in r.content.decode()


@pytest.mark.parametrize("who", ["author1", "u1_chair", "auditor_n"])
def test_who_is_no_officer_is_told_so(report_structure, client, users, tmp_path, who):
    client.force_login(users[who])
    assert client.get("/imports/").status_code == 403
    r = _upload(client, register(tmp_path, [GOOD]))
    assert r.status_code == 403 and "Chỉ cán bộ công đoàn" in r.content.decode()
    assert not Initiative.objects.filter(reference="REG-P1").exists()


def test_files_that_are_not_registers(report_structure, client, users, tmp_path):
    client.force_login(users["officer_x1"])
    r = client.post("/imports/", {})
    assert r.status_code == 400 and 'id="i-file-error"' in r.content.decode()
    fake = tmp_path / "so.xlsx"
    fake.write_bytes(b"%PDF-1.4 not a workbook")
    r = _upload(client, fake)
    assert r.status_code == 400 and "không phải sổ Excel" in r.content.decode()
    empty = register(tmp_path, [], name="empty.xlsx")
    r = _upload(client, empty)
    assert r.status_code == 400 and "Sổ không có dòng nào để nhập" in r.content.decode()
