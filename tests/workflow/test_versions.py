"""Every submission freezes the dossier — its fields, authors and files with their sha256 — as a
numbered version whose digest the submit's audit entry records; versions and their differences
through the API, with the dossier's own visibility."""

import hashlib
import json
from pathlib import Path

import pytest

from audit.models import AuditEntry
from initiatives.models import Attachment, DossierVersion

from .files import ALLOWED, PDF
from .test_attachments import upload

pytestmark = pytest.mark.django_db


def test_a_submit_freezes_fields_authors_and_files_and_the_trail_records_the_digest(api, users, flow):
    iid = flow.draft()
    pdf = upload(api, users["author1"], iid, "de-xuat.pdf", PDF, kind="application").json()
    flow.act("author1", iid, "submit")
    r = api(users["author1"]).get(f"/api/v1/initiatives/{iid}/versions/")
    assert r.status_code == 200
    (summary,) = r.json()
    assert summary["number"] == 1 and summary["submitted_at"] and len(summary["digest"]) == 64
    v1 = api(users["u1_adv"]).get(f"/api/v1/initiatives/{iid}/versions/1/").json()
    assert v1["digest"] == summary["digest"] and v1["submitted_by"] == "author1"
    content = v1["content"]
    assert content["title"] == "Cải tiến quy trình kiểm tra máy biến áp" and content["benefit_value_vnd"] == 90_000_000
    assert content["authors"] == [{"username": "author1", "full_name": "Tác Giả Một", "share_percent": "100.00"}]
    assert content["attachments"] == [{k: pdf[k] for k in ("id", "name", "size", "sha256", "content_type", "kind")}]
    # anyone can recompute the digest from what the API shows
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    assert hashlib.sha256(canonical).hexdigest() == v1["digest"]
    submit = AuditEntry.objects.get(action="submit", object_id=str(iid))
    assert submit.details["dossier_digest"] == v1["digest"] and submit.version == 1


def test_return_edit_and_resubmit_make_version_2_and_the_diff_says_what_changed(api, users, flow, settings):
    iid = flow.draft()
    old = upload(api, users["author1"], iid, "so-lieu-cu.pdf", PDF, kind="evidence").json()
    kept = upload(api, users["author1"], iid, "so-do.png", ALLOWED[1][1], kind="drawing").json()
    flow.act("author1", iid, "submit")
    # frozen: nothing moves while the advisory team reads it
    assert upload(api, users["author1"], iid, "muon.pdf").status_code == 409
    flow.act("u1_adv", iid, "return", comment="Bổ sung số liệu")
    author = api(users["author1"])
    r = author.patch(f"/api/v1/initiatives/{iid}/", {"benefit_value_vnd": 120_000_000}, format="json")
    assert r.status_code == 200
    assert author.delete(f"/api/v1/initiatives/{iid}/attachments/{old['id']}/").status_code == 204
    new = upload(api, users["author1"], iid, "so-lieu-moi.xlsx", ALLOWED[4][1], kind="evidence").json()
    listed = author.get(f"/api/v1/initiatives/{iid}/attachments/").json()
    assert [a["id"] for a in listed] == [kept["id"], new["id"]]
    # the file of version 1 stays, row and bytes, downloadable by who may see the dossier
    row = Attachment.objects.get(pk=old["id"])
    assert row.removed_at is not None and row.first_version == 1
    assert (Path(settings.MEDIA_ROOT) / row.file.name).read_bytes() == PDF
    r = api(users["u1_adv"]).get(f"/api/v1/attachments/{old['id']}/download/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert api(users["author2"]).get(f"/api/v1/attachments/{old['id']}/download/").status_code == 404
    flow.act("author1", iid, "submit")

    versions = author.get(f"/api/v1/initiatives/{iid}/versions/").json()
    assert [v["number"] for v in versions] == [1, 2] and versions[0]["digest"] != versions[1]["digest"]
    v1 = author.get(f"/api/v1/initiatives/{iid}/versions/1/").json()
    assert [a["name"] for a in v1["content"]["attachments"]] == ["so-lieu-cu.pdf", "so-do.png"]  # unchanged
    d = author.get(f"/api/v1/initiatives/{iid}/versions/2/diff/", {"against": 1}).json()
    assert d["fields"] == {"benefit_value_vnd": {"before": 90_000_000, "after": 120_000_000}}
    assert [a["name"] for a in d["attachments"]["added"]] == ["so-lieu-moi.xlsx"]
    assert [a["name"] for a in d["attachments"]["removed"]] == ["so-lieu-cu.pdf"]
    assert d["attachments"]["added"][0]["sha256"] == new["sha256"]
    # the default is the version before; the other way round swaps before and after
    assert author.get(f"/api/v1/initiatives/{iid}/versions/2/diff/").json() == d
    back = author.get(f"/api/v1/initiatives/{iid}/versions/1/diff/", {"against": 2}).json()
    assert back["fields"]["benefit_value_vnd"] == {"before": 120_000_000, "after": 90_000_000}
    assert [a["name"] for a in back["attachments"]["removed"]] == ["so-lieu-moi.xlsx"]
    # the stored versions agree with what the API says
    assert list(DossierVersion.objects.filter(initiative_id=iid).values_list("number", flat=True)) == [1, 2]


def test_bad_version_numbers_are_404_in_the_path_and_400_naming_against(api, users, flow):
    iid = flow.draft()
    author = api(users["author1"])
    assert author.get(f"/api/v1/initiatives/{iid}/versions/").json() == []
    assert author.get(f"/api/v1/initiatives/{iid}/versions/1/").status_code == 404
    flow.act("author1", iid, "submit")
    for n in ("0", "2", "99999999999999999999"):
        assert author.get(f"/api/v1/initiatives/{iid}/versions/{n}/").status_code == 404, n
        assert author.get(f"/api/v1/initiatives/{iid}/versions/{n}/diff/?against=1").status_code == 404, n
    for against in ("abc", "-1", "0", "2", "1e3", "99999999999999999999", "١"):
        r = author.get(f"/api/v1/initiatives/{iid}/versions/1/diff/", {"against": against})
        assert r.status_code == 400 and list(r.json()) == ["against"], (against, r.content)
    r = author.get(f"/api/v1/initiatives/{iid}/versions/1/diff/")  # no version before the first
    assert r.status_code == 400 and list(r.json()) == ["against"]
    assert author.get(f"/api/v1/initiatives/{iid}/versions/1/diff/", {"against": 1}).json() == {
        "fields": {},
        "attachments": {"added": [], "removed": []},
    }
    assert api(users["author2"]).get(f"/api/v1/initiatives/{iid}/versions/").status_code == 404
    assert api().get(f"/api/v1/initiatives/{iid}/versions/").status_code == 401
