"""Insider attacks on the audit trail (issue 8/2, adapted to issue 12's chain per affiliate): someone
with write access to the database — and in the last attack the signing key too — tries to cut,
edit, reorder, delete, insert, regrow or rewrite a chain, or to move its head row, after a signed
checkpoint (a Merkle root over every chain's head) was made. Each attack must be caught by
``manage.py verify_audit`` (exit 1, naming the check) and by ``GET /api/v1/audit/verify/``.

Each attack also *bites*: run against a verifier with the checks that catch it taken out (a
"mutant" below), the same tampered trail passes — so the test fails if those checks ever go."""

import contextlib
import datetime
import shutil
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from audit import chain as chain_module
from audit.actions import HASHED_FIELDS, audit_checkpoint_create, audit_record, entry_digest
from audit.chain import Failure, ScopeWalk, entry_problem, scope_key_of
from audit.models import AuditChain, AuditCheckpoint, AuditEntry
from audit.selectors import audit_verify
from audit.signing import checkpoint_sign_heads, parse_private_key, public_text
from councils.models import Organisation

pytestmark = pytest.mark.django_db

OTHER = "000100020001"  # a unit of another affiliate: a chain of its own


def _note(users, scope_path, text):
    with transaction.atomic():
        audit_record(actor=users["author1"], action="note", object_type="x", object_id=text, scope_path=scope_path)


@pytest.fixture
def trail(api, users, make_draft, django_capture_on_commit_callbacks):
    """The sector's chain (dossiers of XN1 and XN2) and another affiliate's, a signed checkpoint,
    then one more entry on each chain. Returns the checkpoint."""

    def act(user, iid, name):
        with django_capture_on_commit_callbacks(execute=True):
            r = api(users[user]).post(f"/api/v1/initiatives/{iid}/actions/{name}/", {"comment": ""}, format="json")
        assert r.status_code == 200, r.content

    first = make_draft("author1")["id"]  # XN1
    act("author1", first, "submit")
    _note(users, OTHER, "a")
    act("u1_adv", first, "forward")
    second = make_draft("author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}])["id"]
    _note(users, OTHER, "b")
    act("author2", second, "submit")
    make_draft("author1")
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint, _ = audit_checkpoint_create()
    make_draft("author1")  # after the checkpoint
    _note(users, OTHER, "c")
    assert checkpoint.version == 2 and {_key(), scope_key_of(OTHER)} <= set(checkpoint.scopes)
    assert _head().n == checkpoint.scopes[_key()][0] + 1
    return checkpoint


def _key():
    return scope_key_of(Organisation.objects.get(code="XN1").path)


def _chain(key=None):
    return list(AuditEntry.objects.filter(scope_key=_key() if key is None else key).order_by("scope_seq"))


def _head(key=None):
    return AuditChain.objects.get(key=_key() if key is None else key)


def _signed_n(cp):
    return cp.scopes[_key()][0]


@pytest.fixture
def caught(api, users, capsys):
    """caught(code, first_bad=id or None) → asserts the command and the API both fail with that
    check and name that entry; returns the API's answer."""

    def check(code, *, first_bad, organisation="XN1", api_too=True):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            call_command("verify_audit")
        err = capsys.readouterr().err
        assert exc.value.code == 1 and f"[{code}]" in err, err
        if first_bad is not None:
            assert f" {first_bad} (#" in err, err
        whole = audit_verify()
        assert not whole.ok and whole.code == code and whole.first_bad == first_bad, whole
        if not api_too:
            return whole.as_dict()
        answer = api(users["auditor_n"]).get("/api/v1/audit/verify/", {"organisation": organisation}).json()
        mine = api(users["auditor_n"]).get("/api/v1/audit/verify/").json()
        for a in (answer, mine):
            assert a["ok"] is False and a["code"] == code and a["first_bad"] == first_bad, a
            assert a["checkpoints_checked"] >= 1
        return answer

    return check


# --- broken verifiers: each takes out one check ----------------------------------------------------


def _naive_feed(*, hashes: bool, links: bool):
    def feed(self, e):
        self.checked += 1
        if hashes and entry_problem(e):
            return Failure(e["seq"], e["id"], "hash_mismatch", "x")
        if links and (e["scope_seq"] != self.n + 1 or e["scope_prev"] != self.hash):
            return Failure(e["seq"], e["id"], "scope_link", "x")
        for h, _label, *_rest in self.expected.get(e["scope_seq"], ()):
            if e["hash"] != h:
                return Failure(e["seq"], e["id"], "checkpoint_mismatch", "x")
        self.n, self.hash, self.version, self.seq, self.last_id = (
            e["scope_seq"],
            e["hash"],
            e["hash_version"],
            e["seq"],
            e["id"],
        )
        return None

    return feed


_real_end = ScopeWalk.end


@contextlib.contextmanager
def _mutant(name):
    """The verifier without the named check(s)."""
    with contextlib.ExitStack() as stack:
        if name == "without hashes":
            stack.enter_context(mock.patch.object(ScopeWalk, "feed", _naive_feed(hashes=False, links=True)))
        elif name == "without links":
            stack.enter_context(mock.patch.object(ScopeWalk, "feed", _naive_feed(hashes=True, links=False)))
        elif name == "without hashes or links":
            stack.enter_context(mock.patch.object(ScopeWalk, "feed", _naive_feed(hashes=False, links=False)))
        elif name == "without heads":
            # the chain's end is taken as its head, whatever the head row says
            stack.enter_context(
                mock.patch.object(ScopeWalk, "end", lambda self, head: _real_end(self, (self.n, self.hash, self.seq)))
            )
        elif name == "without checkpoints":
            pass  # audit_verify below reads no checkpoint
        elif name == "without the external copy":
            pass  # audit_verify below reads the database's checkpoints only
        else:
            raise AssertionError(name)
        yield {
            "without checkpoints": {"use_database_checkpoints": False, "use_checkpoint_dir": False},
            "without the external copy": {"use_checkpoint_dir": False},
        }.get(name, {})


def bites(mutant, insider):
    """The tampered trail passes a verifier without ``mutant``'s check: that check is what caught it."""
    with _mutant(mutant) as options:
        result = audit_verify(**options)
    assert result.ok, f"the attack is also caught {mutant}: {result}"
    insider.held(f"(and a verifier {mutant} lets it through: the test bites)")


# --- the attacks ------------------------------------------------------------------------------------


def test_cut_the_tail_of_a_chain(trail, caught, insider):
    entries = _chain()
    last = entries[-1]
    insider.tried(f"delete the sector's newest entry (#{last.seq}, after the checkpoint), leaving its head row")
    AuditEntry.objects.filter(pk=last.pk).delete()
    caught("tail_cut", first_bad=None)
    insider.held("the chain's head row still names the removed entry: verify says the tail was cut")
    bites("without heads", insider)


@pytest.mark.parametrize("field", ["actor", "comment", "details", "at"])
def test_edit_a_field(trail, caught, insider, users, field):
    e = _chain()[_signed_n(trail) - 2]
    insider.tried(f"change the {field} of entry #{e.seq} (before the checkpoint) in the database")
    change = {
        "actor": {"actor": users["outsider"]},
        "comment": {"comment": "đã sửa lén"},
        "details": {"details": {"forged": True}},
        "at": {"at": e.at + datetime.timedelta(seconds=1)},
    }[field]
    AuditEntry.objects.filter(pk=e.pk).update(**change)
    caught("hash_mismatch", first_bad=e.pk)
    insider.held(f"{field} is inside the entry's hash: verify names the edited entry")
    bites("without hashes", insider)


def test_reorder_two_entries_of_a_chain(trail, caught, insider):
    a, b = _chain()[1:3]
    insider.tried(f"swap the places of entries #{a.seq} and #{b.seq} on the sector's chain")
    AuditEntry.objects.filter(pk=a.pk).update(scope_seq=-1)
    AuditEntry.objects.filter(pk=b.pk).update(scope_seq=a.scope_seq)
    AuditEntry.objects.filter(pk=a.pk).update(scope_seq=b.scope_seq)
    caught("hash_mismatch", first_bad=b.pk)
    insider.held("an entry's place on its chain is hashed, and each entry links to its predecessor's hash")
    bites("without hashes or links", insider)


def test_delete_an_entry_inside_a_chain(trail, caught, insider):
    victim, successor = _chain()[2:4]
    insider.tried(f"delete entry #{victim.seq} in the middle of the sector's chain")
    AuditEntry.objects.filter(pk=victim.pk).delete()
    caught("scope_link", first_bad=successor.pk)
    insider.held("its successor no longer links to the entry before it")
    bites("without links", insider)


def test_insert_an_entry_inside_a_chain(trail, caught, insider, users):
    entries = _chain()
    after = entries[_signed_n(trail) - 1]  # the checkpoint's head of the chain: insert right after it
    insider.tried(
        f"insert a forged entry after #{after.seq}, linked and hashed right, moving the later entries one place "
        "on and the head row with them"
    )
    moved = entries[_signed_n(trail) :]
    for e in reversed(moved):
        AuditEntry.objects.filter(pk=e.pk).update(scope_seq=e.scope_seq + 1)
    values = {f: getattr(after, f) for f in HASHED_FIELDS}
    values.update(seq=after.seq + 1 if after.seq + 1 < moved[0].seq else moved[0].seq - 1, comment="chèn thêm")
    if AuditEntry.objects.filter(seq=values["seq"]).exists():
        values["seq"] = AuditEntry.objects.order_by("-seq")[0].seq + 1000
    forged = AuditEntry.objects.create(**chain_module.entry_link(values, prev_n=after.scope_seq, prev_hash=after.hash))
    assert entry_problem({"id": forged.pk, **values}) is None  # the forgery itself is well-formed
    AuditChain.objects.filter(key=_key()).update(n=_head().n + 1)
    caught("hash_mismatch", first_bad=moved[0].pk)
    insider.held("an entry's place on its chain is hashed: the entries moved on to make room no longer match")
    bites("without hashes or links", insider)


def test_insert_a_chain_of_its_own(trail, caught, insider, users):
    insider.tried("insert a well-formed entry as the first of a new chain (an affiliate with no head row)")
    values = {f: getattr(_chain()[0], f) for f in HASHED_FIELDS}
    values.update(scope_path="00010009", seq=AuditEntry.objects.order_by("-seq")[0].seq + 100)
    chain_module.entry_link(values)
    forged = AuditEntry.objects.create(**values)
    caught("head_mismatch", first_bad=forged.pk, api_too=False)
    insider.held("every chain must end at a head row that names its last entry")
    bites("without heads", insider)


def test_move_a_head_row(trail, caught, insider):
    entries, head = _chain(), _head()
    back = entries[-2]
    insider.tried(f"move the sector's head row back one entry (to #{back.seq}), deleting nothing")
    AuditChain.objects.filter(pk=head.pk).update(n=back.scope_seq, hash=back.hash, seq=back.seq)
    result = audit_verify()
    assert not result.ok and result.code == "head_mismatch" and result.first_bad == entries[-1].pk, result
    caught("head_mismatch", first_bad=entries[-1].pk)
    insider.tried("…and delete the head row altogether")
    AuditChain.objects.filter(pk=head.pk).delete()
    caught("head_mismatch", first_bad=entries[-1].pk)
    insider.held("each chain's end is compared with its head row")
    bites("without heads", insider)


def _rewind_to(n):
    """Delete every entry of the sector's chain after its ``n``-th and move the head row to match."""
    AuditEntry.objects.filter(scope_key=_key(), scope_seq__gt=n).delete()
    last = AuditEntry.objects.get(scope_key=_key(), scope_seq=n)
    AuditChain.objects.filter(key=_key()).update(n=n, hash=last.hash, seq=last.seq)


def test_rewind_a_chain_and_its_head(trail, caught, insider):
    n = _signed_n(trail) - 2
    insider.tried(f"delete the sector's entries after its {n}th and move its head row to match (across the checkpoint)")
    _rewind_to(n)
    answer = caught("checkpoint_beyond", first_bad=None)
    assert str(_signed_n(trail)) in answer["reason"]
    insider.held("the signed checkpoint vouches for an entry the chain no longer has")
    bites("without checkpoints", insider)


def test_regrow_a_truncated_chain(trail, caught, insider, users):
    n = _signed_n(trail) - 3
    insider.tried(
        f"cut the sector's chain after its {n}th entry (before the checkpoint), move the head row, then append "
        "new entries through audit_record: an internally consistent chain as long as before"
    )
    _rewind_to(n)
    for i in range(6):
        _note(users, Organisation.objects.get(code="XN1").path, str(i))
    assert _head().n > _signed_n(trail)
    grown = AuditEntry.objects.get(scope_key=_key(), scope_seq=_signed_n(trail))
    caught("checkpoint_mismatch", first_bad=grown.pk)
    insider.held("the entry at the checkpoint's head of this chain no longer has the signed hash")
    bites("without checkpoints", insider)


def _rehash_chain(key, edit):
    """Recompute every hash and link of one chain, as an attacker with the code would."""
    prev, n, last = "", 0, None
    for e in AuditEntry.objects.filter(scope_key=key).order_by("scope_seq"):
        values = {f: getattr(e, f) for f in HASHED_FIELDS}
        edit(e, values)
        n += 1
        values.update(scope_seq=n, scope_prev=prev, prev_hash=prev)
        values["hash"] = entry_digest(values)
        AuditEntry.objects.filter(pk=e.pk).update(**{k: v for k, v in values.items() if k != "actor_id"})
        prev, last = values["hash"], e
    AuditChain.objects.filter(key=key).update(n=n, hash=prev, seq=last.seq)


def test_rewrite_a_chain_and_the_database_checkpoints(trail, caught, insider, settings, tmp_path, capsys):
    insider.tried(
        "with the signing key and the database: edit an old comment, recompute every hash and link of the "
        "chain, its head row, and re-sign every checkpoint in the database (Merkle root and all)"
    )
    victim = _chain()[1]

    def edit(e, values):
        if e.pk == victim.pk:
            values["comment"] = "đã sửa lén"

    _rehash_chain(_key(), edit)
    key = parse_private_key(settings.AUDIT_SIGNING_KEY)
    for row in AuditCheckpoint.objects.all():
        heads = {k: tuple(v) for k, v in row.scopes.items()}
        n = heads[_key()][0]
        entry = AuditEntry.objects.get(scope_key=_key(), scope_seq=n)
        heads[_key()] = (n, entry.hash, entry.seq)
        forged = checkpoint_sign_heads(key=key, legacy=row.legacy, heads=heads, at=row.at)
        AuditCheckpoint.objects.filter(pk=row.pk).update(
            hash=forged.hash, signature=forged.signature, scopes=forged.scopes, tree_size=forged.tree_size
        )
    at_checkpoint = AuditEntry.objects.get(scope_key=_key(), scope_seq=_signed_n(trail))
    answer = caught("checkpoint_mismatch", first_bad=at_checkpoint.pk)
    assert "checkpoints.jsonl" in answer["reason"]  # the database's own checkpoints now agree with the forgery
    insider.held("the copy in AUDIT_CHECKPOINT_DIR (appended, outside the database) still holds the real heads")
    bites("without the external copy", insider)

    insider.tried("…and also delete the external directory")
    mailed = tmp_path / "mailed.jsonl"
    shutil.copy(Path(settings.AUDIT_CHECKPOINT_DIR) / "checkpoints.jsonl", mailed)  # the auditors' mail
    shutil.rmtree(settings.AUDIT_CHECKPOINT_DIR)
    public = public_text(key.public_key())
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit", "--checkpoints", str(mailed), "--public-key", public)
    assert exc.value.code == 1
    assert f" {at_checkpoint.pk} (#{at_checkpoint.seq})" in capsys.readouterr().err
    insider.held(
        "the mailed copy, checked from outside with only the public key (verify_audit --checkpoints "
        "--public-key), still names the rewritten entry"
    )


def test_an_untouched_trail_passes(trail, api, users, insider):
    insider.tried("nothing: the trail as the application wrote it, two chains and a checkpoint")
    call_command("verify_audit")
    answer = api(users["auditor_n"]).get("/api/v1/audit/verify/", {"organisation": "XN1"}).json()
    assert answer["ok"] is True and answer["checkpoints_checked"] == 1
    assert audit_verify(scope_path=OTHER).ok and audit_verify().checked == AuditEntry.objects.count()
    insider.held("no false alarm: whole and scoped verification pass")
