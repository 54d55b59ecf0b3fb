"""A dossier's files, attacked from inside: a DBA or a host administrator reading the tables and
the storage, an officer who may see a confidential dossier exists, an author who wants to take
back what a council already judged."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from initiatives.models import Attachment
from tests.workflow.files import PDF

pytestmark = pytest.mark.django_db

SECRET_NAME = "BiQuyet-TuDongHoa-TramBienAp-110kV.pdf"


def _upload(api, user, iid, name=SECRET_NAME, content=PDF):
    r = api(user).post(
        f"/api/v1/initiatives/{iid}/attachments/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert r.status_code == 201, r.content
    return r.json()


def _act(api, user, iid, name, comment=""):
    r = api(user).post(f"/api/v1/initiatives/{iid}/actions/{name}/", {"comment": comment}, format="json")
    assert r.status_code == 200, (name, r.content)


def test_the_stored_file_name_says_nothing_of_the_dossier_or_the_file(api, users, make_draft, settings, insider):
    draft = make_draft(confidential=True)
    a = _upload(api, users["author1"], draft["id"])
    insider.tried("read the storage path a DBA sees in initiatives_attachment.file and list MEDIA_ROOT")
    with connection.cursor() as c:
        c.execute("SELECT file FROM initiatives_attachment WHERE id = %s", [a["id"]])
        (stored,) = c.fetchone()
    assert re.fullmatch(r"attachments/[0-9a-f]{2}/[0-9a-f]{32}", stored), stored
    for clue in ("BiQuyet", "110kV", ".pdf", draft["reference"], "author1", "XN1"):
        assert clue.lower() not in stored.lower(), clue
    assert str(draft["id"]) not in stored.split("/")  # no folder per dossier
    on_disk = [
        p.relative_to(settings.MEDIA_ROOT).as_posix() for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()
    ]
    assert on_disk == [stored]
    insider.tried("guess a neighbour's file from one's own: upload twice, compare the names")
    b = _upload(api, users["author1"], draft["id"])
    other = Attachment.objects.get(pk=b["id"]).file.name
    assert other != stored and other[15:] != stored[15:]
    insider.held("a random 128-bit name: no title, unit, reference, person or file name, nothing to guess from")


def test_what_a_council_judged_cannot_be_taken_back(
    api, users, make_draft, settings, insider, django_capture_on_commit_callbacks
):
    iid = make_draft()["id"]
    a = _upload(api, users["author1"], iid, "bang-chung.pdf")
    _act(api, users["author1"], iid, "submit")
    _act(api, users["u1_adv"], iid, "return", comment="Bổ sung")
    insider.tried("the author removes the file version 1 was submitted with, once the dossier is a draft again")
    with django_capture_on_commit_callbacks(execute=True):
        r = api(users["author1"]).delete(f"/api/v1/initiatives/{iid}/attachments/{a['id']}/")
    assert r.status_code == 204
    row = Attachment.objects.get(pk=a["id"])
    assert (Path(settings.MEDIA_ROOT) / row.file.name).read_bytes() == PDF
    v1 = api(users["u1_adv"]).get(f"/api/v1/initiatives/{iid}/versions/1/").json()
    assert v1["content"]["attachments"][0]["sha256"] == a["sha256"]
    r = api(users["auditor_n"]).get(f"/api/v1/attachments/{a['id']}/download/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    insider.tried("delete it again by its id")
    assert api(users["author1"]).delete(f"/api/v1/initiatives/{iid}/attachments/{a['id']}/").status_code == 404
    insider.held("the row and the bytes stay; version 1 lists the file with its sha256; auditors still download it")


def test_an_officer_cannot_download_a_confidential_dossiers_file(api, users, make_draft, insider):
    iid = make_draft(confidential=True)["id"]
    a = _upload(api, users["author1"], iid)
    _act(api, users["author1"], iid, "submit")
    _act(api, users["u1_adv"], iid, "forward")
    insider.tried("an officer over the unit, who sees the dossier's title, asks for its file by id and its versions")
    officer = api(users["officer_a"])
    assert officer.get(f"/api/v1/initiatives/{iid}/").status_code == 200
    assert officer.get(f"/api/v1/attachments/{a['id']}/download/").status_code == 404
    assert officer.get(f"/api/v1/initiatives/{iid}/versions/1/").status_code == 404
    history = officer.get(f"/api/v1/initiatives/{iid}/history/").json()["results"]
    assert all(h["details"] == {} for h in history)  # the trail names no file either
    assert SECRET_NAME not in str(officer.get(f"/api/v1/initiatives/{iid}/").json())
    insider.tried("the unit council's chair asks for it")
    assert api(users["u1_chair"]).get(f"/api/v1/attachments/{a['id']}/download/").status_code == 200
    insider.held("404 for the officer (file, versions, file names in the trail); 200 for the unit's council")
