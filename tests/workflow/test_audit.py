import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from audit.selectors import audit_verify

pytestmark = pytest.mark.django_db


def test_the_chain_verifies_and_a_tampered_row_is_named(flow, api, users):
    iid = flow.to_unit_council()
    flow.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "approve", "u1_chair")
    result = audit_verify()
    assert result.ok and result.checked == AuditEntry.objects.count()
    r = api(users["auditor_n"]).get("/api/v1/audit/verify/")
    assert r.json() == {"ok": True, "checked": result.checked}
    call_command("verify_audit")

    # someone edits a row behind the application's back
    target = AuditEntry.objects.get(action="close", object_id=str(iid))
    AuditEntry.objects.filter(pk=target.pk).update(comment="đã sửa lén")
    bad = audit_verify()
    assert not bad.ok and bad.first_bad == target.pk
    r = api(users["auditor_n"]).get("/api/v1/audit/verify/")
    assert r.json()["ok"] is False and r.json()["first_bad"] == target.pk
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit")
    assert exc.value.code == 1
    # scoped to the organisation, too
    r = api(users["officer_a"]).get("/api/v1/audit/verify/", {"organisation": "XN1"})
    assert r.status_code == 403
    r = api(users["auditor_n"]).get("/api/v1/audit/verify/", {"organisation": "XN1"})
    assert r.json()["ok"] is False and r.json()["first_bad"] == target.pk


def test_a_deleted_row_breaks_the_chain(flow):
    iid = flow.to_unit_council()
    victim = AuditEntry.objects.get(action="submit", object_id=str(iid))
    AuditEntry.objects.filter(pk=victim.pk).delete()
    result = audit_verify()
    assert not result.ok and result.first_bad == AuditEntry.objects.get(seq=victim.seq + 1).pk


def test_a_rewritten_hash_is_caught_by_the_next_link(flow):
    from audit.actions import HASHED_FIELDS, entry_digest

    iid = flow.to_unit_council()
    e = AuditEntry.objects.get(action="submit", object_id=str(iid))
    values = {f: getattr(e, f) for f in HASHED_FIELDS}
    values["comment"] = "forged"
    AuditEntry.objects.filter(pk=e.pk).update(comment="forged", hash=entry_digest(values))
    result = audit_verify()
    assert not result.ok and result.first_bad == AuditEntry.objects.get(seq=e.seq + 1).pk


def test_only_auditors_and_admins_verify(api, users):
    assert api(users["author1"]).get("/api/v1/audit/verify/").status_code == 403
    assert api(users["admin_n"]).get("/api/v1/audit/verify/").status_code == 200
    assert api(users["auditor_n"]).get("/api/v1/audit/verify/", {"organisation": "NOPE"}).status_code == 400
