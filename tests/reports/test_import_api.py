"""The register import through the API (issue 11, item 5; API.md ``/imports/``): who may, files that
are not registers, every refused row with its row, column and reason before anything is written,
partial imports, nothing twice, batches with progress, duplicates listed, audited."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from audit.models import AuditEntry
from initiatives.models import Initiative, RegisterImport, RegisterImportBatch

from .test_import import HEADERS, register

pytestmark = pytest.mark.django_db


def row(ref, title, unit="XN1", authors="author1", registered=datetime.date(2022, 2, 1), **kw):
    return [
        ref,
        title,
        unit,
        kw.get("category", "technical"),
        authors,
        kw.get("benefit", 90_000_000),
        datetime.date(2022, 1, 5),
        registered,
        kw.get("recognised"),
    ]


GOOD = [
    row("API-1", "Cải tiến dụng cụ đo điện trở tiếp địa"),
    row("API-2", "Quy trình tiếp nhận hồ sơ điện tử của khách hàng"),
]


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    """The tasks are scheduled on commit (and run eagerly): let each request's commit run them."""
    captured = {}

    def run(fn):
        with django_capture_on_commit_callbacks(execute=True):
            captured["r"] = fn()
        return captured["r"]

    _RUN["run"] = run
    yield
    _RUN.clear()


_RUN = {}


class Answer:
    """The POST's answer, its body read again once the commit has run the (eager) tasks — as a
    real request's answer is, whose transaction commits before it answers."""

    def __init__(self, response, client):
        self.status_code = response.status_code
        self._body = response.json()
        if self.status_code in (200, 201):
            again = client.get(f"/api/v1/imports/{self._body['id']}/").json()
            self._body = {**again, "same_file": self._body["same_file"]}

    def json(self):
        return self._body


def upload(client, path, organisation="XN1", language=None, **extra):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}

    def send():
        with open(path, "rb") as f:
            return client.post(
                "/api/v1/imports/", {"file": f, "organisation": organisation, **extra}, format="multipart", **headers
            )

    return Answer(_RUN["run"](send), client)


def test_a_good_register_is_checked_then_imported_and_audited(report_structure, api, tmp_path):
    officer = report_structure["officer_x1"]
    r = upload(api(officer), register(tmp_path, GOOD))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "done" and body["rows"] == 2 and body["imported"] == 2 and body["refused"] == []
    assert body["done"] == body["total"] == 2 and body["percent"] == 100.0 and body["same_file"] is False
    assert set(Initiative.objects.filter(reference__startswith="API-").values_list("reference", flat=True)) == {
        "API-1",
        "API-2",
    }
    imp = RegisterImport.objects.get(pk=body["id"])
    assert imp.file.name.startswith("imports/") and "register" not in imp.file.name  # a random name
    assert imp.sha256 == body["sha256"] and len(imp.sha256) == 64
    actions = list(AuditEntry.objects.filter(object_type="registerimport").values_list("action", flat=True))
    assert actions == ["register_import_create", "register_import_done"]
    entries = AuditEntry.objects.filter(action="import")
    assert entries.count() == 2 and all(e.details["register_import"] == imp.pk for e in entries)
    verify = api(report_structure["auditor_n"]).get("/api/v1/audit/verify/").json()
    assert verify["ok"] is True, verify  # the batch's entries are chained as one by one
    got = api(officer).get(f"/api/v1/imports/{imp.pk}/")
    assert got.status_code == 200 and got.json()["imported"] == 2
    assert api(report_structure["auditor_n"]).get(f"/api/v1/imports/{imp.pk}/").status_code == 200
    assert api(report_structure["author1"]).get(f"/api/v1/imports/{imp.pk}/").status_code == 404
    assert api(officer).get("/api/v1/imports/999999/").status_code == 404
    assert api(officer).get("/api/v1/imports/").json()["count"] == 1


def test_refused_rows_name_row_column_and_reason_and_nothing_is_written(report_structure, api, tmp_path):
    bad = row("API-3", "Ngắn")
    other = row("API-4", "Một sáng kiến ở đơn vị không có", unit="KHONG-CO")
    late = row("API-5", "Sáng kiến đăng ký ở tương lai xa", registered="2099-01-01")
    path = register(tmp_path, [GOOD[0], bad, other, late])
    r = upload(api(report_structure["officer_x1"]), path)
    assert r.status_code == 201
    body = r.json()
    assert body["state"] == "checked" and body["rows"] == 4 and body["imported"] == 0 and body["total"] == 1
    refused = {(x["row"], x["column"]) for x in body["refused"]}
    assert (3, "Tên sáng kiến") in refused and (4, "Mã đơn vị") in refused and (5, "Ngày đăng ký") in refused
    assert all(x["reason"] for x in body["refused"]) and body["refused_rows"] == 3
    assert any("KHONG-CO" in x["reason"] for x in body["refused"])
    assert not Initiative.objects.filter(reference__startswith="API-").exists()
    # in English
    r = upload(api(report_structure["officer_x1"]), path, language="en")
    assert any("at least 10 characters" in x["reason"] for x in r.json()["refused"])
    # the same file with partial=1: only the good row; the refused ones stay in the report
    r = upload(api(report_structure["officer_x1"]), path, partial="1")
    body = r.json()
    assert r.status_code == 201 and body["state"] == "done" and body["partial"] is True
    assert body["imported"] == 1 and len(body["refused"]) >= 3
    assert list(Initiative.objects.filter(reference__startswith="API-").values_list("reference", flat=True)) == [
        "API-1"
    ]


def test_a_checked_register_is_imported_later_only_its_good_rows(report_structure, api, tmp_path):
    client = api(report_structure["officer_x1"])
    body = upload(client, register(tmp_path, [GOOD[0], row("API-3", "Ngắn")])).json()
    assert body["state"] == "checked"
    r = client.post(f"/api/v1/imports/{body['id']}/import/", {}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "rows_refused"
    assert api(report_structure["author1"]).post(f"/api/v1/imports/{body['id']}/import/", {}).status_code == 404
    r = _RUN["run"](lambda: client.post(f"/api/v1/imports/{body['id']}/import/", {"partial": True}, format="json"))
    assert r.status_code == 200
    r = client.get(f"/api/v1/imports/{body['id']}/")
    assert r.json()["state"] == "done" and r.json()["imported"] == 1
    r = client.post(f"/api/v1/imports/{body['id']}/import/", {"partial": True}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "invalid_state"


def test_nothing_is_created_twice(report_structure, api, tmp_path):
    client = api(report_structure["officer_x1"])
    path = register(tmp_path, GOOD)
    first = upload(client, path).json()
    again = upload(client, path)
    assert again.status_code == 200 and again.json()["id"] == first["id"] and again.json()["same_file"] is True
    assert RegisterImport.objects.count() == 1
    # the same rows in another file: refused by their reference numbers
    copy = register(tmp_path, [*GOOD, row("API-9", "Một dòng mới thêm vào sổ cũ")], name="copy.xlsx")
    body = upload(client, copy, partial="1").json()
    assert body["imported"] == 1
    assert {x["row"] for x in body["refused"]} == {2, 3}
    assert all(x["column"] == "Số hồ sơ" and "API-" in x["reason"] for x in body["refused"])
    assert Initiative.objects.filter(reference__startswith="API-").count() == 3
    # a batch run twice imports nothing the second time
    batch = RegisterImportBatch.objects.get(register_import_id=body["id"])
    from initiatives.imports import register_import_batch

    assert register_import_batch(import_id=body["id"], batch_id=batch.pk) == 0


def test_large_registers_go_in_batches_with_progress(report_structure, api, tmp_path, settings):
    settings.REGISTER_IMPORT_BATCH = 2
    rows = [row(f"API-B{n}", f"Sáng kiến số {n} về thiết bị đo đếm điện năng") for n in range(5)]
    body = upload(api(report_structure["officer_x1"]), register(tmp_path, rows)).json()
    assert body["state"] == "done" and body["imported"] == 5 and (body["done"], body["total"]) == (5, 5)
    imp = RegisterImport.objects.get(pk=body["id"])
    assert list(imp.batches.values_list("state", "imported")) == [("done", 2), ("done", 2), ("done", 1)]
    assert api(report_structure["auditor_n"]).get("/api/v1/audit/verify/").json()["ok"] is True
    first = Initiative.objects.get(reference="API-B0")
    assert first.dossier_versions.get().content["row"] == 2 and first.authors.get().user.username == "author1"


def test_state_transitions_with_a_worker(report_structure, api, tmp_path, settings, monkeypatch):
    """Without an eager worker the upload answers ``checking``; the check answers ``checked``; the
    batches move ``done`` of ``total`` one at a time."""
    from initiatives import imports

    settings.REGISTER_IMPORT_BATCH = 1
    queued = []
    monkeypatch.setattr(imports, "_schedule_check", lambda pk, start: queued.append(("check", pk, start)))
    monkeypatch.setattr(imports, "_schedule_batches", lambda pk, ids: queued.extend(("batch", pk, b) for b in ids))
    client = api(report_structure["officer_x1"])
    with open(register(tmp_path, GOOD), "rb") as f:
        body = _RUN["run"](
            lambda: client.post("/api/v1/imports/", {"file": f, "organisation": "XN1"}, format="multipart")
        ).json()
    assert body["state"] == "checking" and body["rows"] == 0
    _kind, pk, start = queued.pop(0)
    _RUN["run"](lambda: imports.register_import_check(import_id=pk, start=start))
    body = client.get(f"/api/v1/imports/{pk}/").json()
    assert body["state"] == "importing" and (body["done"], body["total"]) == (0, 2)
    imports.register_import_batch(import_id=pk, batch_id=queued.pop(0)[2])
    body = client.get(f"/api/v1/imports/{pk}/").json()
    assert body["state"] == "importing" and (body["done"], body["imported"], body["percent"]) == (1, 1, 50.0)
    imports.register_import_batch(import_id=pk, batch_id=queued.pop(0)[2])
    body = client.get(f"/api/v1/imports/{pk}/").json()
    assert body["state"] == "done" and body["finished_at"] and body["imported"] == 2


def test_rows_that_look_like_earlier_initiatives_are_listed(report_structure, api, tmp_path):
    client = api(report_structure["officer_x1"])
    upload(client, register(tmp_path, [row("API-D1", "Cải tiến dụng cụ đo điện trở tiếp địa trạm biến áp")]))
    near = register(
        tmp_path, [row("API-D2", "Cải tiến dụng cụ đo điện trở tiếp địa cho trạm biến áp")], name="near.xlsx"
    )
    body = upload(client, near).json()
    assert body["imported"] == 1 and body["duplicates_count"] == 1
    dup = body["duplicates"][0]
    earlier = Initiative.objects.get(reference="API-D1")
    assert dup["row"] == 2 and dup["reference"] == "API-D2"
    assert dup["candidates"][0]["id"] == earlier.pk and dup["candidates"][0]["similarity"] >= 0.6


def test_who_may_not_and_what_is_not_a_register(report_structure, api, tmp_path):
    path = register(tmp_path, GOOD)
    for who in ("author1", "auditor_n", "u1_chair"):
        assert upload(api(report_structure[who]), path).status_code == 403
    r = upload(api(report_structure["officer_x1"]), path, organisation="XN2")  # not theirs
    assert r.status_code == 403 and r.json()["detail"]
    r = upload(api(report_structure["officer_x1"]), path, organisation="NOPE")
    assert r.status_code == 400 and "NOPE" in r.json()["organisation"][0]
    r = api(report_structure["officer_x1"]).post("/api/v1/imports/", {"organisation": "XN1"}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "file_missing" and r.json()["file"]
    fake = tmp_path / "so.xlsx"
    fake.write_bytes(b"%PDF-1.4 not a workbook")
    r = upload(api(report_structure["officer_x1"]), fake)
    assert r.status_code == 400 and r.json()["code"] == "file_type" and "so.xlsx" in r.json()["detail"]
    r = upload(api(report_structure["officer_x1"]), path, partial="maybe")
    assert r.status_code == 400 and "partial" in r.json()
    assert api().post("/api/v1/imports/", {}).status_code in (401, 403)
    assert not Initiative.objects.filter(reference__startswith="API-").exists()
    assert not RegisterImport.objects.exists()


def test_an_officer_above_imports_units_of_the_subtree_only(report_structure, api, tmp_path):
    rows = [row("API-T1", "Sáng kiến của xí nghiệp một"), row("API-T3", "Sáng kiến của xí nghiệp ba", unit="XN3")]
    body = upload(api(report_structure["officer_a"]), register(tmp_path, rows), organisation="TCTA").json()
    assert body["state"] == "checked" and [x["row"] for x in body["refused"]] == [3]
    assert body["refused"][0]["column"] == "Mã đơn vị"


def test_the_template(report_structure, api):
    r = api(report_structure["officer_x1"]).get("/api/v1/imports/template.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS
