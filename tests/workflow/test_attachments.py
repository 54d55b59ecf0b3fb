"""A dossier's files through the API, as people use it: who may add and remove them, which files
are taken (by content, not by name), and who may download them."""

import hashlib
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from initiatives.models import Attachment

from .files import ALLOWED, IMPOSTORS, PDF

pytestmark = pytest.mark.django_db


def upload(api, user, iid, name="de-xuat.pdf", content=PDF, kind=None, **extra):
    body = {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")}
    if kind is not None:
        body["kind"] = kind
    return api(user).post(f"/api/v1/initiatives/{iid}/attachments/", body, format="multipart", **extra)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_each_allowed_type_is_taken_by_its_content(api, users, make_draft, settings):
    iid = make_draft()["id"]
    for name, content, content_type in ALLOWED:
        r = upload(api, users["author1"], iid, name, content, kind="evidence")
        assert r.status_code == 201, (name, r.content)
        body = r.json()
        assert body["name"] == name and body["content_type"] == content_type, body
        assert body["size"] == len(content) and body["sha256"] == hashlib.sha256(content).hexdigest()
        assert body["kind"] == "evidence"
        assert body["download"] == f"/api/v1/attachments/{body['id']}/download/"
    listed = api(users["author1"]).get(f"/api/v1/initiatives/{iid}/attachments/").json()
    assert [a["name"] for a in listed] == [n for n, _c, _t in ALLOWED]
    assert len(stored_files(settings)) == len(ALLOWED)
    assert AuditEntry.objects.filter(action="attachment_add", object_id=str(iid)).count() == len(ALLOWED)


def test_the_kind_defaults_to_other_and_a_name_gets_the_extension_of_its_content(api, users, make_draft):
    iid = make_draft()["id"]
    r = upload(api, users["author1"], iid, "bao-cao.html", PDF)
    assert r.status_code == 201 and r.json()["kind"] == "other"
    assert r.json()["name"] == "bao-cao.html.pdf" and r.json()["content_type"] == "application/pdf"


def test_files_that_are_not_what_their_name_says_are_refused(api, users, make_draft, settings):
    iid = make_draft()["id"]
    for name, content in IMPOSTORS:
        r = upload(api, users["author1"], iid, name, content, HTTP_ACCEPT_LANGUAGE="en")
        assert r.status_code == 400, (name, r.content)
        body = r.json()
        assert body["code"] == "file_type" and list(body["file"]) == [body["detail"]], body
        assert name in body["detail"] and "PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS" in body["detail"]
        assert "content" in body["detail"] and "nội dung" not in body["detail"]  # English only, not glued
    r = upload(api, users["author1"], iid, "ban-ve.pdf", IMPOSTORS[0][1])
    assert "không phải là" in r.json()["detail"] and "content" not in r.json()["detail"]  # Vietnamese only
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_a_file_over_the_limit_is_refused_naming_it(api, users, make_draft, settings):
    settings.ATTACHMENT_MAX_MB = 0.001  # 1,048 bytes
    iid = make_draft()["id"]
    big = PDF + b"%" * 2000
    r = upload(api, users["author1"], iid, "ban-ve-lon.pdf", big, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and r.json()["code"] == "file_too_large", r.content
    assert "ban-ve-lon.pdf" in r.json()["detail"] and "0.001" in r.json()["detail"]
    assert upload(api, users["author1"], iid, "nho.pdf", PDF).status_code == 201
    assert Attachment.objects.count() == 1 and len(stored_files(settings)) == 1


def test_a_dossier_holds_at_most_the_configured_number_of_files(api, users, make_draft, settings):
    settings.ATTACHMENT_MAX_FILES = 2
    iid = make_draft()["id"]
    assert upload(api, users["author1"], iid, "a.pdf").status_code == 201
    assert upload(api, users["author1"], iid, "b.pdf").status_code == 201
    r = upload(api, users["author1"], iid, "c.pdf")
    assert r.status_code == 400 and r.json()["code"] == "too_many_files" and "c.pdf" in r.json()["detail"]


def test_who_may_add_and_remove_files(api, users, make_draft, flow):
    # author1 with author1b as co-author, in XN1 (advisory team u1_adv, council XN1-HD)
    iid = make_draft(
        authors=[{"username": "author1", "share_percent": 60}, {"username": "author1b", "share_percent": 40}]
    )["id"]
    assert upload(api, users["author1"], iid, "tac-gia.pdf").status_code == 201
    assert upload(api, users["author1b"], iid, "dong-tac-gia.pdf").status_code == 201
    assert upload(api, users["u1_adv"], iid, "to-tu-van.pdf").status_code == 201
    # who may not see the draft: it does not exist for them
    for who in ("author2", "author3", "u1_chair", "outsider"):
        assert upload(api, users[who], iid, "x.pdf").status_code == 404, who
        assert api(users[who]).get(f"/api/v1/initiatives/{iid}/attachments/").status_code == 404, who
    # who sees it but may not edit it (an officer over the unit)
    r = upload(api, users["officer_x1"], iid, "can-bo.pdf")
    assert r.status_code == 403 and "detail" in r.json()
    assert api(users["officer_x1"]).get(f"/api/v1/initiatives/{iid}/attachments/").status_code == 200
    first = Attachment.objects.get(name="tac-gia.pdf")
    r = api(users["officer_x1"]).delete(f"/api/v1/initiatives/{iid}/attachments/{first.pk}/")
    assert r.status_code == 403
    # after the submit nobody adds or removes: 409, as for any edit
    flow.act("author1", iid, "submit")
    r = upload(api, users["author1"], iid, "muon.pdf")
    assert r.status_code == 409 and r.json()["code"] == "invalid_state"
    assert api(users["author1"]).delete(f"/api/v1/initiatives/{iid}/attachments/{first.pk}/").status_code == 409
    flow.act("u1_adv", iid, "forward")
    # the council sees it now, and may still not add to it
    assert upload(api, users["u1_chair"], iid, "hoi-dong.pdf").status_code == 403
    assert Attachment.objects.filter(initiative_id=iid).count() == 3


def test_removing_a_file_never_submitted_deletes_row_and_file(
    api, users, make_draft, settings, django_capture_on_commit_callbacks
):
    iid = make_draft()["id"]
    aid = upload(api, users["author1"], iid).json()["id"]
    path = Path(settings.MEDIA_ROOT) / Attachment.objects.get(pk=aid).file.name
    assert path.exists()
    assert api(users["author2"]).delete(f"/api/v1/initiatives/{iid}/attachments/{aid}/").status_code == 404
    assert api(users["author1"]).delete(f"/api/v1/initiatives/{iid}/attachments/999999/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        r = api(users["author1"]).delete(f"/api/v1/initiatives/{iid}/attachments/{aid}/")
    assert r.status_code == 204
    assert not Attachment.objects.filter(pk=aid).exists() and not path.exists()
    assert api(users["author1"]).get(f"/api/v1/attachments/{aid}/download/").status_code == 404
    entry = AuditEntry.objects.get(action="attachment_remove", object_id=str(iid))
    assert entry.details["attachment"]["id"] == aid and entry.details["kept_for_version"] is None


def test_download_goes_only_to_who_may_see_the_content(api, users, make_draft, flow):
    content = ALLOWED[3][1]  # a docx
    iid = make_draft()["id"]
    aid = upload(api, users["author1"], iid, "don.docx", content).json()["id"]
    r = api(users["author1"]).get(f"/api/v1/attachments/{aid}/download/", HTTP_ACCEPT="application/pdf")
    assert r.status_code == 200 and b"".join(r.streaming_content) == content
    assert r["Content-Type"] == ALLOWED[3][2]
    assert r["Content-Disposition"].startswith("attachment;") and "don.docx" in r["Content-Disposition"]
    assert r["X-Content-Type-Options"] == "nosniff" and "no-store" in r["Cache-Control"]
    assert api().get(f"/api/v1/attachments/{aid}/download/").status_code == 401
    for who in ("author2", "u1_chair", "outsider", "auditor_b"):
        assert api(users[who]).get(f"/api/v1/attachments/{aid}/download/").status_code == 404, who
    # an ordinary dossier: everyone who sees it sees its files
    for who in ("officer_a", "officer_x1", "auditor_n", "u1_adv"):
        assert api(users[who]).get(f"/api/v1/attachments/{aid}/download/").status_code == 200, who
    assert api(users["author1"]).get("/api/v1/attachments/99999999999999999999/download/").status_code == 404


def test_a_confidential_dossiers_files_stay_with_its_unit_councils_and_auditors(api, users, make_draft, flow):
    iid = make_draft(confidential=True)["id"]
    aid = upload(api, users["author1"], iid, "bi-mat.pdf").json()["id"]
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "forward")
    url = f"/api/v1/attachments/{aid}/download/"
    # the officers see the dossier (title, summary) but not its content: neither its files nor versions
    for who in ("officer_a", "officer_x1", "author2", "outsider", "auditor_b", "c_chair"):
        assert api(users[who]).get(url).status_code == 404, who
        assert api(users[who]).get(f"/api/v1/initiatives/{iid}/attachments/").status_code == 404, who
        assert api(users[who]).get(f"/api/v1/initiatives/{iid}/versions/").status_code == 404, who
        assert api(users[who]).get(f"/api/v1/initiatives/{iid}/versions/1/").status_code == 404, who
    assert api(users["officer_a"]).get(f"/api/v1/initiatives/{iid}/").status_code == 200  # sees that it exists
    for who in ("author1", "u1_adv", "u1_chair", "u1_sec", "u1_m1", "auditor_n"):
        assert api(users[who]).get(url).status_code == 200, who
        assert api(users[who]).get(f"/api/v1/initiatives/{iid}/versions/1/").status_code == 200, who


def test_hostile_uploads_are_400s_naming_the_field(api, users, make_draft, client):
    iid = make_draft()["id"]
    url = f"/api/v1/initiatives/{iid}/attachments/"
    author = api(users["author1"])
    r = author.post(url, {"kind": "photo"}, format="multipart")
    assert r.status_code == 400 and list(r.json()) == ["file"], r.content
    r = author.post(url, {"file": "not a file"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["file"], r.content
    for body in ([], "x", None, {"kind": {"a": 1}}):
        assert author.post(url, body, format="json").status_code == 400, body
    r = upload(api, users["author1"], iid, kind="x" * 100_000)
    assert r.status_code == 400 and list(r.json()) == ["kind"] and len(r.json()["kind"][0]) < 200
    r = upload(api, users["author1"], iid, kind="photo\x00")
    assert r.status_code == 400 and list(r.json()) == ["kind"]
    r = author.post(
        url,
        data=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4',
        content_type="multipart/form-data; boundary=xyz",
    )
    assert r.status_code == 400 and "file" in r.json(), r.content
    r = author.post(url, data=b"garbage", content_type="multipart/form-data")  # no boundary
    assert r.status_code == 400, r.content
    two = {"file": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF)]}
    r = author.post(url, two, format="multipart")
    assert r.status_code == 400 and list(r.json()) == ["file"]
    # names are made safe: no path, no control or direction characters
    r = upload(api, users["author1"], iid, "../../etc/\u202efdp.exe\x07.pdf")
    assert r.status_code == 201 and r.json()["name"] == "fdp.exe.pdf", r.json()
    r = upload(api, users["author1"], iid, "C:\\Users\\lan\\" + "đ" * 400 + ".pdf")
    assert r.status_code == 201 and r.json()["name"] == "đ" * 146 + ".pdf"
    assert Attachment.objects.count() == 2


def test_a_failed_upload_leaves_neither_row_nor_file(users, make_draft, settings, monkeypatch):
    from initiatives import actions

    iid = make_draft()["id"]

    def broken(**kwargs):
        raise RuntimeError("the trail is unavailable")

    monkeypatch.setattr(actions, "audit_record", broken)
    with pytest.raises(RuntimeError):
        actions.attachment_add(initiative_id=iid, actor=users["author1"], upload=SimpleUploadedFile("a.pdf", PDF))
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    assert not os.path.exists(Path(settings.MEDIA_ROOT) / "attachments") or not any(
        p.is_file() for p in (Path(settings.MEDIA_ROOT) / "attachments").rglob("*")
    )


def test_the_pages_list_add_and_remove_files(client, api, users, make_draft):
    iid = make_draft()["id"]
    client.force_login(users["author1"])
    page = client.get(f"/initiatives/{iid}/").content.decode()
    assert "Chưa có tệp đính kèm" in page and 'enctype="multipart/form-data"' in page
    r = client.post(
        f"/initiatives/{iid}/attachments/", {"file": SimpleUploadedFile("so-do.png", ALLOWED[1][1]), "kind": "drawing"}
    )
    assert r.status_code == 302 and r["Location"] == f"/initiatives/{iid}/"
    a = Attachment.objects.get()
    page = client.get(f"/initiatives/{iid}/").content.decode()
    assert "so-do.png" in page and f"/api/v1/attachments/{a.pk}/download/" in page
    r = client.get(f"/api/v1/attachments/{a.pk}/download/")  # the signed-in session downloads
    assert r.status_code == 200 and b"".join(r.streaming_content) == ALLOWED[1][1]
    r = client.post(
        f"/initiatives/{iid}/attachments/", {"file": SimpleUploadedFile("anh.png", IMPOSTORS[1][1]), "back": "edit"}
    )
    assert r.status_code == 302 and r["Location"] == f"/initiatives/{iid}/edit/"
    page = client.get(f"/initiatives/{iid}/edit/").content.decode()
    assert "anh.png" in page and "PDF, PNG, JPEG" in page and Attachment.objects.count() == 1  # the refusal, shown
    r = client.post(f"/initiatives/{iid}/attachments/{a.pk}/remove/", {"back": "edit"})
    assert r.status_code == 302 and not Attachment.objects.exists()
    # an officer over the unit sees the list, not the forms
    assert upload(api, users["author1"], iid).status_code == 201
    client.force_login(users["officer_x1"])
    page = client.get(f"/initiatives/{iid}/").content.decode()
    assert "de-xuat.pdf" in page and 'enctype="multipart/form-data"' not in page and "Gỡ tệp" not in page
    assert (
        client.post(f"/initiatives/{iid}/attachments/", {"file": SimpleUploadedFile("x.pdf", PDF)}).status_code == 302
    )
    assert Attachment.objects.count() == 1


def test_files_no_row_names_are_found_and_swept(api, users, make_draft, settings):
    from io import StringIO

    from django.core.management import call_command

    iid = make_draft()["id"]
    kept = (
        Path(settings.MEDIA_ROOT) / Attachment.objects.get(pk=upload(api, users["author1"], iid).json()["id"]).file.name
    )
    stray_old = Path(settings.MEDIA_ROOT) / "attachments" / "ab" / ("ab" + "0" * 30)
    stray_new = Path(settings.MEDIA_ROOT) / "attachments" / "cd" / ("cd" + "1" * 30)
    for stray in (stray_old, stray_new):
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_bytes(PDF)
    os.utime(stray_old, (0, 0))
    os.utime(kept, (0, 0))
    out = StringIO()
    call_command("attachment_orphans", stdout=out)
    assert out.getvalue().splitlines()[0] == "attachments/ab/ab" + "0" * 30 and stray_old.exists()
    call_command("attachment_orphans", "--delete", stdout=StringIO())
    assert not stray_old.exists() and stray_new.exists() and kept.exists()
