"""Insider attacks on the audit trail (issue 8/2): someone with write access to the database — and
in the last attacks the signing key too — tries to cut, edit, reorder, regrow or rewrite the
trail after a signed checkpoint was made. Each attack must be caught by ``manage.py verify_audit``
(exit 1, naming the first bad entry) and by ``GET /api/v1/audit/verify/``."""

import datetime
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from audit.actions import HASHED_FIELDS, audit_checkpoint_create, audit_record, entry_digest
from audit.models import AuditCheckpoint, AuditEntry, AuditHead
from audit.signing import checkpoint_sign, parse_private_key, public_text
from councils.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(api, users, make_draft, django_capture_on_commit_callbacks):
    """Dossiers of two units of one sector and one of another corporation, a signed checkpoint,
    then one more dossier after it. Returns the checkpoint."""

    def act(user, iid, name):
        with django_capture_on_commit_callbacks(execute=True):
            r = api(users[user]).post(f"/api/v1/initiatives/{iid}/actions/{name}/", {"comment": ""}, format="json")
        assert r.status_code == 200, r.content

    first = make_draft("author1")["id"]  # XN1
    act("author1", first, "submit")
    act("u1_adv", first, "forward")
    second = make_draft("author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}])["id"]
    act("author2", second, "submit")
    make_draft("author1")
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint, _ = audit_checkpoint_create()
    make_draft("author1")  # after the checkpoint
    assert checkpoint.seq < AuditHead.objects.get(pk=1).seq
    return checkpoint


@pytest.fixture
def caught(api, users, capsys):
    """caught(first_bad=id or None, seq=…, organisation=None) → asserts the command and the API
    both fail and name that entry; returns the API's answer."""

    def check(*, first_bad, seq, organisation=None, code=None):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            call_command("verify_audit")
        err = capsys.readouterr().err
        assert exc.value.code == 1, err
        if first_bad is not None:
            assert f" {first_bad} (#{seq})" in err, err
        else:
            assert f"(#{seq})" in err, err
        params = {"organisation": organisation} if organisation else {}
        answer = api(users["auditor_n"]).get("/api/v1/audit/verify/", params).json()
        whole = api(users["auditor_n"]).get("/api/v1/audit/verify/").json()
        for a in (answer, whole):
            assert a["ok"] is False, a
            assert a["first_bad"] == first_bad and a["first_bad_seq"] == seq, a
            assert a["checkpoints_checked"] >= 1
            if code:
                assert a["code"] == code, a
        return answer

    return check


def _e(seq):
    return AuditEntry.objects.get(seq=seq)


def _xn1():
    return Organisation.objects.get(code="XN1").path


def _scope_heads():
    """What an attacker recomputes after removing entries: each scope's last remaining entry."""
    heads = {}
    for e in AuditEntry.objects.filter(hash_version=2).order_by("seq"):
        heads[e.scope_key] = [e.scope_seq, e.hash]
    return heads


def _rewind_to(seq):
    """Delete every entry after ``seq`` and set the head (and its scope heads) to match."""
    AuditEntry.objects.filter(seq__gt=seq).delete()
    last = _e(seq)
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=last.hash, scopes=_scope_heads())


def _rehash_everything(edit=None):
    """Recompute every hash and both links from the start, as an attacker with the code would:
    the result is internally consistent."""
    prev, scopes = "", {}
    for e in AuditEntry.objects.order_by("seq"):
        values = {f: getattr(e, f) for f in HASHED_FIELDS}
        if edit:
            edit(e, values)
        values["prev_hash"] = prev
        n, h = scopes.get(values["scope_key"], (0, ""))
        values["scope_seq"], values["scope_prev"] = n + 1, h
        values["hash"] = entry_digest(values)
        AuditEntry.objects.filter(pk=e.pk).update(**{k: v for k, v in values.items() if k != "actor_id"})
        prev, scopes[values["scope_key"]] = values["hash"], [n + 1, values["hash"]]
    AuditHead.objects.filter(pk=1).update(seq=AuditEntry.objects.count(), hash=prev, scopes=scopes)


def test_cut_the_tail(trail, caught, insider):
    insider.tried("delete the newest entries, across the signed checkpoint, leaving the head row as it is")
    keep = trail.seq - 2
    AuditEntry.objects.filter(seq__gt=keep).delete()
    caught(first_bad=None, seq=keep + 1, code="tail_cut")
    insider.held("the head row no longer matches the trail's last entry: verify names the first removed #seq")


@pytest.mark.parametrize("field", ["actor", "comment", "details", "at"])
def test_edit_a_field(trail, caught, insider, users, field):
    e = AuditEntry.objects.get(seq=trail.seq - 1)
    insider.tried(f"change the {field} of entry #{e.seq} (before the checkpoint) in the database")
    change = {
        "actor": {"actor": users["outsider"]},
        "comment": {"comment": "đã sửa lén"},
        "details": {"details": {"forged": True}},
        "at": {"at": e.at + datetime.timedelta(seconds=1)},
    }[field]
    AuditEntry.objects.filter(pk=e.pk).update(**change)
    caught(first_bad=e.pk, seq=e.seq, organisation="XN1", code="hash_mismatch")
    insider.held(f"{field} is inside the entry's hash: verify names the edited entry")


def test_reorder_entries(trail, caught, insider):
    a, b = _e(3), _e(4)
    insider.tried(f"swap the order of entries #{a.seq} and #{b.seq}")
    AuditEntry.objects.filter(pk=a.pk).update(seq=-1)
    AuditEntry.objects.filter(pk=b.pk).update(seq=a.seq)
    AuditEntry.objects.filter(pk=a.pk).update(seq=b.seq)
    caught(first_bad=b.pk, seq=a.seq, code="broken_link")
    insider.held("the seq is hashed and each entry links to its predecessor's hash")


def test_delete_an_entry_inside_a_scope(trail, caught, insider):
    # the XN1 dossier's last entry before the XN2 dossier starts: its successor is another unit's
    forward = AuditEntry.objects.get(action="forward")
    successor = _e(forward.seq + 1)
    assert not successor.scope_path.startswith(_xn1())
    insider.tried(f"delete XN1's entry #{forward.seq}, whose successor belongs to another unit")
    AuditEntry.objects.filter(pk=forward.pk).delete()
    answer = caught(first_bad=successor.pk, seq=successor.seq, organisation="XN1")
    assert answer["code"] == "scope_link"
    insider.held("the scope chain (the sector's entries link to one another) breaks at the next entry of the scope")


def test_delete_a_neighbour_inside_a_scope(trail, caught, insider):
    xn1 = _xn1()
    neighbour = AuditEntry.objects.filter(action="create", object_type="initiative").exclude(
        scope_path__startswith=xn1
    )[0]
    after = _e(neighbour.seq + 1)
    insider.tried(f"delete #{neighbour.seq} of XN2, between entries of XN1")
    AuditEntry.objects.filter(pk=neighbour.pk).delete()
    caught(first_bad=after.pk, seq=after.seq, organisation="XN1")
    insider.held("a scoped verify of XN1 walks the sector's whole scope chain, so a gap anywhere in it shows")


def test_regrow_a_truncated_chain(trail, caught, insider, users):
    cut = trail.seq - 3
    insider.tried(
        f"cut the trail after #{cut} (before the checkpoint #{trail.seq}), rewind the head and its scope "
        "heads, then append new entries through audit_record: an internally consistent chain as long as before"
    )
    _rewind_to(cut)
    with transaction.atomic():
        for i in range(6):
            audit_record(
                actor=users["author1"], action="note", obj=Organisation.objects.get(code="XN1"), comment=str(i)
            )
    assert AuditHead.objects.get(pk=1).seq > trail.seq
    grown = _e(trail.seq)
    caught(first_bad=grown.pk, seq=trail.seq, organisation="XN1", code="checkpoint_mismatch")
    insider.held("the entry at the checkpoint's seq no longer has the signed hash")


def test_rewind_the_head(trail, caught, insider):
    cut = trail.seq - 2
    insider.tried(f"delete every entry after #{cut} and rewind the head row (and its scope heads) to match")
    _rewind_to(cut)
    answer = caught(first_bad=None, seq=cut + 1, code="checkpoint_beyond")
    assert str(trail.seq) in answer["reason"]
    scoped = caught(first_bad=None, seq=cut + 1, organisation="XN1")
    assert scoped["ok"] is False
    insider.held("the signed checkpoint vouches for an entry the trail no longer has")


def test_rewrite_everything_including_the_database_checkpoints(trail, caught, insider, settings, tmp_path, capsys):
    insider.tried(
        "with the signing key and the database: edit an old comment, recompute every hash and link, the "
        "head, and re-sign every checkpoint in the database"
    )
    victim = _e(2)

    def edit(e, values):
        if e.pk == victim.pk:
            values["comment"] = "đã sửa lén"

    _rehash_everything(edit)
    key = parse_private_key(settings.AUDIT_SIGNING_KEY)
    for row in AuditCheckpoint.objects.all():
        entry = _e(row.seq)
        scopes = {}
        for e in AuditEntry.objects.filter(seq__lte=row.seq).order_by("seq"):
            scopes[e.scope_key] = [e.scope_seq, e.hash]
        forged = checkpoint_sign(key=key, seq=row.seq, hash=entry.hash, at=row.at, scopes=scopes)
        AuditCheckpoint.objects.filter(pk=row.pk).update(hash=forged.hash, signature=forged.signature, scopes=scopes)
    answer = caught(first_bad=_e(trail.seq).pk, seq=trail.seq, code="checkpoint_mismatch")
    assert "checkpoints.jsonl" in answer["reason"]  # the database's own checkpoints now agree with the forgery
    insider.held("the copy in AUDIT_CHECKPOINT_DIR (appended, outside the database) still holds the real head")

    insider.tried("…and also delete the external directory")
    mailed = tmp_path / "mailed.jsonl"
    shutil.copy(Path(settings.AUDIT_CHECKPOINT_DIR) / "checkpoints.jsonl", mailed)  # the auditors' mail
    shutil.rmtree(settings.AUDIT_CHECKPOINT_DIR)
    public = public_text(key.public_key())
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit", "--checkpoints", str(mailed), "--public-key", public)
    assert exc.value.code == 1
    assert f" {_e(trail.seq).pk} (#{trail.seq})" in capsys.readouterr().err
    insider.held(
        "the mailed copy, checked from outside with only the public key (verify_audit --checkpoints "
        "--public-key), still names the rewritten entry"
    )


def test_an_untouched_trail_passes(trail, api, users, insider):
    insider.tried("nothing: the trail as the application wrote it, with its checkpoint")
    call_command("verify_audit")
    answer = api(users["auditor_n"]).get("/api/v1/audit/verify/", {"organisation": "XN1"}).json()
    assert answer["ok"] is True and answer["checkpoints_checked"] == 1
    insider.held("no false alarm: whole and scoped verification pass")
