"""The register import from a page (issue 9, build 6; issue 11, item 5): the template, the upload
checked whole before anything is written, every refused row with its row, column and reason, then
import all, only the good rows, or fix and upload again; the progress polled from the API; the
same file never imported twice; who may; files that are not registers."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from initiatives.models import Initiative, RegisterImport

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


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a request and the tasks its commit schedules (eager), as a real request would."""

    def go(fn):
        with django_capture_on_commit_callbacks(execute=True):
            return fn()

    return go


def _upload(client, run, path, organisation="XN1"):
    def send():
        with open(path, "rb") as f:
            return client.post("/imports/", {"file": f, "organisation": organisation})

    return run(send)


def test_the_template_carries_the_headings_the_import_reads(report_structure, client, users):
    client.force_login(users["officer_x1"])
    page = client.get("/imports/")
    assert page.status_code == 200 and "/imports/template.xlsx" in page.content.decode()
    r = client.get("/imports/template.xlsx")
    wb = load_workbook(io.BytesIO(r.content))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS
    assert wb.worksheets[1]["A2"].value == "Số hồ sơ"


def test_a_bad_register_lists_every_refused_row_and_offers_the_good_ones(
    report_structure, client, users, tmp_path, run
):
    bad = list(GOOD)
    bad[0], bad[1] = "REG-P3", "Ngắn"  # too short a title
    other = list(GOOD)
    other[0], other[2] = "REG-P2", "KHONG-CO"
    client.force_login(users["officer_x1"])
    r = _upload(client, run, register(tmp_path, [GOOD, bad, other]))
    assert r.status_code == 302
    html = client.get(r["Location"]).content.decode()
    assert "2 dòng bị từ chối, chưa nhập gì" in html and "KHONG-CO" in html
    assert '<td data-label="Cột">Tên sáng kiến</td>' in html and '<td data-label="Dòng">3</td>' in html
    assert "Chỉ nhập 1 dòng hợp lệ" in html and "Sửa sổ và tải lên lại" in html
    assert not Initiative.objects.filter(reference__startswith="REG-P").exists()
    imp = RegisterImport.objects.get()
    r = run(lambda: client.post(f"/imports/{imp.pk}/start/", {"partial": "1"}))
    assert r.status_code == 302
    html = client.get(r["Location"]).content.decode()
    assert "Đã nhập 1 sáng kiến" in html and "KHONG-CO" in html  # the refused rows stay in the report
    assert list(Initiative.objects.filter(reference__startswith="REG-P").values_list("reference", flat=True)) == [
        "REG-P1"
    ]


def test_a_good_register_is_checked_then_imported_on_confirmation(report_structure, client, users, tmp_path, run):
    second = list(GOOD)
    second[0], second[1] = "REG-P2", "Quy trình tiếp nhận hồ sơ điện tử"
    client.force_login(users["officer_x1"])
    path = register(tmp_path, [GOOD, second])
    r = _upload(client, run, path)
    html = client.get(r["Location"]).content.decode()
    assert "2 dòng hợp lệ" in html and "Nhập 2 sáng kiến" in html
    assert not Initiative.objects.filter(reference__startswith="REG-P").exists()  # nothing yet
    imp = RegisterImport.objects.get()
    assert run(lambda: client.post(f"/imports/{imp.pk}/start/")).status_code == 302
    assert set(Initiative.objects.filter(reference__startswith="REG-P").values_list("reference", flat=True)) == {
        "REG-P1",
        "REG-P2",
    }
    html = client.get(f"/imports/{imp.pk}/").content.decode()
    assert "Đã nhập 2 sáng kiến" in html and "data-poll" not in html
    # confirming again imports nothing twice; neither does the same file uploaded again
    r = run(lambda: client.post(f"/imports/{imp.pk}/start/"))
    assert "không nhập được nữa" in client.get(r["Location"]).content.decode()
    r = _upload(client, run, path)
    assert r["Location"] == f"/imports/{imp.pk}/"
    assert "không nhập lại lần nữa" in client.get(r["Location"]).content.decode()
    assert Initiative.objects.filter(reference__startswith="REG-P").count() == 2
    assert RegisterImport.objects.count() == 1


def test_the_progress_bar_polls_the_api(report_structure, client, users, tmp_path, monkeypatch):
    from initiatives import imports

    monkeypatch.setattr(imports, "_schedule_check", lambda pk, start: None)  # no worker yet
    client.force_login(users["officer_x1"])
    with open(register(tmp_path, [GOOD]), "rb") as f:
        r = client.post("/imports/", {"file": f, "organisation": "XN1"})
    html = client.get(r["Location"]).content.decode()
    imp = RegisterImport.objects.get()
    assert f'data-poll="/api/v1/imports/{imp.pk}/"' in html and 'data-poll-state="checking"' in html
    assert "<script" not in html.split("</header>", 1)[-1]  # CSP: the polling is site.js's
    assert client.get(f"/api/v1/imports/{imp.pk}/").json()["state"] == "checking"  # the session reads the API


def test_an_officer_of_another_unit_is_refused(report_structure, client, users, tmp_path, run):
    row = list(GOOD)
    row[2] = "XN2"
    client.force_login(users["officer_x1"])
    r = _upload(client, run, register(tmp_path, [row]))
    html = client.get(r["Location"]).content.decode()
    assert "bạn không phải cán bộ của &#x27;XN2&#x27;" in html
    r = _upload(client, run, register(tmp_path, [GOOD], name="b.xlsx"), organisation="XN2")
    assert r.status_code == 403 and "Chỉ cán bộ công đoàn" in r.content.decode()


@pytest.mark.parametrize("who", ["author1", "u1_chair", "auditor_n"])
def test_who_is_no_officer_is_told_so(report_structure, client, users, tmp_path, who, run):
    client.force_login(users[who])
    assert client.get("/imports/").status_code == 403
    r = _upload(client, run, register(tmp_path, [GOOD]))
    assert r.status_code == 403 and "Chỉ cán bộ công đoàn" in r.content.decode()
    assert not Initiative.objects.filter(reference="REG-P1").exists()


def test_files_that_are_not_registers(report_structure, client, users, tmp_path, run):
    client.force_login(users["officer_x1"])
    r = client.post("/imports/", {"organisation": "XN1"})
    assert r.status_code == 400 and 'id="i-file-error"' in r.content.decode()
    r = client.post("/imports/", {})
    assert r.status_code == 400 and 'id="i-organisation-error"' in r.content.decode()
    fake = tmp_path / "so.xlsx"
    fake.write_bytes(b"%PDF-1.4 not a workbook")
    r = _upload(client, run, fake)
    assert r.status_code == 400 and "không phải sổ Excel" in r.content.decode()
    r = _upload(client, run, register(tmp_path, [], name="empty.xlsx"))
    assert "Sổ không có dòng nào để nhập" in client.get(r["Location"]).content.decode()
