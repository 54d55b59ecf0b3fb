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
    assert r.json() == {"ok": True, "checked": result.checked, "checkpoints_checked": 0}
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


# Issue 8, finding 2: the trail could be cut or rewritten. Each test below reproduced one hole
# (committed first as strict xfail).


def test_cutting_the_newest_entries_fails_verify(flow):
    flow.to_unit_council()
    newest = list(AuditEntry.objects.order_by("-seq")[:2])
    AuditEntry.objects.filter(pk__in=[e.pk for e in newest]).delete()
    result = audit_verify()
    assert not result.ok


def test_changing_who_acted_fails_verify(flow, users):
    iid = flow.to_unit_council()
    entry = AuditEntry.objects.get(action="forward", object_id=str(iid))
    AuditEntry.objects.filter(pk=entry.pk).update(actor=users["outsider"])
    result = audit_verify()
    assert not result.ok and result.first_bad == entry.pk


def test_a_scoped_verify_catches_a_deleted_entry_of_its_organisation(flow, make_draft):
    iid = flow.draft("author1")  # XN1
    make_draft("author2", organisation="XN2")  # the next entry belongs to another unit
    victim = AuditEntry.objects.get(action="create", object_id=str(iid))
    AuditEntry.objects.filter(pk=victim.pk).delete()
    from councils.models import Organisation

    result = audit_verify(scope_path=Organisation.objects.get(code="XN1").path)
    assert not result.ok


def test_a_recomputed_chain_fails_against_a_signed_checkpoint(flow):
    from audit.actions import HASHED_FIELDS, entry_digest
    from audit.models import AuditChain

    iid = flow.to_unit_council()
    call_command("audit_checkpoint")
    # rewrite one comment and recompute every hash and link of its chain after it, head row
    # included: internally consistent
    victim = AuditEntry.objects.get(action="submit", object_id=str(iid))
    prev = ""
    for e in AuditEntry.objects.filter(scope_key=victim.scope_key).order_by("scope_seq"):
        values = {f: getattr(e, f) for f in HASHED_FIELDS}
        if e.pk == victim.pk:
            values["comment"] = "đã sửa lén"
        values["prev_hash"] = values["scope_prev"] = prev
        values["hash"] = entry_digest(values)
        AuditEntry.objects.filter(pk=e.pk).update(
            comment=values["comment"], prev_hash=prev, scope_prev=prev, hash=values["hash"]
        )
        prev = values["hash"]
    AuditChain.objects.filter(key=victim.scope_key).update(hash=prev)
    result = audit_verify(use_database_checkpoints=False, use_checkpoint_dir=False)
    assert result.ok  # consistent: only a signed checkpoint can tell
    result = audit_verify()
    assert not result.ok and result.code == "checkpoint_mismatch"
