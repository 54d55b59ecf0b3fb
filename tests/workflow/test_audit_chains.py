"""Issue 12/3: a trail that does not serialise the country. One chain per affiliate (hash format 3),
each with its own head row locked only by appends to it; a signed checkpoint is a Merkle root over
every chain's head (RFC 6962, as Certificate Transparency's signed tree head), checkable from
outside with only the public key; the old global chain (formats 1 and 2) is closed, never
re-hashed, and still verified."""

import base64
import json
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from audit.actions import audit_checkpoint_create, audit_record, chain_heads
from audit.chain import (
    chain_leaf,
    entry_digest,
    merkle_leaves,
    merkle_path,
    merkle_root,
    merkle_verify,
)
from audit.models import AuditChain, AuditEntry, AuditHead
from audit.selectors import audit_verify
from audit.signing import checkpoint_message_v2, parse_private_key, parse_public_key, public_text
from councils.models import Organisation


def _leaves(n):
    return [f"leaf {i}".encode() for i in range(n)]


def test_merkle_root_and_audit_paths():
    import hashlib

    assert merkle_root([]) == hashlib.sha256(b"").hexdigest()
    assert merkle_root([b"x"]) == hashlib.sha256(b"\x00x").hexdigest()  # RFC 6962: leaves prefixed 0x00
    two = hashlib.sha256(b"\x01" + hashlib.sha256(b"\x00a").digest() + hashlib.sha256(b"\x00b").digest())
    assert merkle_root([b"a", b"b"]) == two.hexdigest()  # nodes prefixed 0x01
    for size in range(1, 12):
        leaves = _leaves(size)
        root = merkle_root(leaves)
        for i in range(size):
            path = merkle_path(leaves, i)
            assert merkle_verify(leaves[i], i, size, path, root), (size, i)
            assert not merkle_verify(b"forged", i, size, path, root)
            if size > 1:
                assert not merkle_verify(leaves[i], (i + 1) % size, size, path, root)
                assert not merkle_verify(leaves[i], i, size, path[:-1], root)
    # the order of the chains is fixed (by key): a different set of heads, a different root
    assert merkle_leaves((0, ""), {"b": (1, "h", 3), "a": (2, "g", 4)})[1] == chain_leaf("a", 2, "g", 4)
    assert merkle_root(merkle_leaves((0, ""), {"a": (2, "g", 4)})) != merkle_root(
        merkle_leaves((0, ""), {"a": (2, "g", 5)})
    )


def _note(actor, scope_path, text=""):
    with transaction.atomic():
        return audit_record(actor=actor, action="note", object_type="x", object_id=text, scope_path=scope_path)


@pytest.mark.django_db
def test_one_affiliates_head_is_proved_in_the_signed_root_from_outside(users, settings, tmp_path, capsys):
    """What an affiliate's auditor holds: the mailed checkpoint line and the public key. With them
    alone they check the signature, that the heads in the line give the signed root, and that
    their chain's head is a leaf of it (an audit path of log2(chains) hashes)."""
    xn1 = Organisation.objects.get(code="XN1").path
    for i in range(3):
        _note(users["author1"], xn1, str(i))
        _note(users["author1"], "000100020001", str(i))
    checkpoint, created = audit_checkpoint_create()
    assert created and checkpoint.version == 2
    line = json.loads((Path(settings.AUDIT_CHECKPOINT_DIR) / "checkpoints.jsonl").read_text().splitlines()[-1])
    public = parse_public_key(public_text(parse_private_key(settings.AUDIT_SIGNING_KEY).public_key()))

    message = checkpoint_message_v2(
        root=line["hash"], size=line["tree_size"], seq=line["seq"], at=line["at"], key_id=line["key_id"]
    )
    public.verify(base64.b64decode(line["signature"]), message)  # raises when forged
    heads = {k: tuple(v) for k, v in line["scopes"].items()}
    leaves = merkle_leaves(tuple(line["legacy"]), heads)
    assert merkle_root(leaves) == line["hash"] and len(leaves) == line["tree_size"]
    key = xn1[:8]
    leaf = chain_leaf(key, *heads[key])
    index = leaves.index(leaf)
    path = merkle_path(leaves, index)
    assert merkle_verify(leaf, index, line["tree_size"], path, line["hash"])
    assert AuditChain.objects.get(key=key).hash == heads[key][1]

    # a copy whose heads were edited (to hide a cut) no longer gives the signed root
    copy = dict(line, scopes=dict(line["scopes"], **{key: [heads[key][0] - 1, "0" * 64, heads[key][2]]}))
    forged = tmp_path / "edited.jsonl"
    forged.write_text(json.dumps(copy) + "\n")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit", "--checkpoints", str(forged), "--public-key", public_text(public))
    assert exc.value.code == 1 and "[checkpoint_bad_root]" in capsys.readouterr().err
    fake_leaf = chain_leaf(key, heads[key][0] - 1, "0" * 64, heads[key][2])
    assert not merkle_verify(fake_leaf, index, line["tree_size"], path, line["hash"])
    # and the genuine line, from outside, passes
    genuine = tmp_path / "mailed.jsonl"
    genuine.write_text(json.dumps(line) + "\n")
    call_command("verify_audit", "--checkpoints", str(genuine), "--public-key", public_text(public))


@pytest.mark.django_db
def test_appends_to_different_affiliates_do_not_touch_each_others_head(users):
    xn1 = Organisation.objects.get(code="XN1").path
    other = "000100020001"
    before = {k: (n, h) for k, n, h in AuditChain.objects.values_list("key", "n", "hash")}
    a = _note(users["author1"], xn1, "a")
    b = _note(users["author1"], other, "b")
    a2 = _note(users["author1"], xn1, "a2")
    heads = {k: (n, h, s) for k, n, h, s in AuditChain.objects.values_list("key", "n", "hash", "seq")}
    assert heads[xn1[:8]] == (a2.scope_seq, a2.hash, a2.seq) and a2.scope_prev == a.hash == a2.prev_hash
    assert heads[other[:8]] == (b.scope_seq, b.hash, b.seq) and b.scope_seq == before.get(other[:8], (0,))[0] + 1
    assert a.seq < b.seq < a2.seq  # one global order for the trail pages, from the sequence
    assert AuditHead.objects.filter(pk=1, seq__gt=0).count() == 0  # the old global head is not used
    assert audit_verify().ok and audit_verify(scope_path=other).ok


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_from_format_2_keeps_every_hash_and_chains_on():
    """A database of issue 8 (format 2: one global chain and scope links): after the migration
    nothing is re-hashed, each scope's chain goes on from its last format-2 entry, the old chain
    stays closed at AuditHead, and everything verifies; an old entry edited is still caught."""
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    before, latest = [("audit", "0004_auditcheckpoint")], [("audit", "0005_i12_chains_per_scope")]
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()
    AuditChain.objects.all().delete()
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        Entry = old.get_model("audit", "AuditEntry")
        prev, scopes = "", {}
        for seq, path in enumerate(["000100010001", "000100020001", "000100010002", "0001"], start=1):
            key = path[:8]
            n, h = scopes.get(key, (0, ""))
            values = {
                "hash_version": 2,
                "seq": seq,
                "at": timezone.now(),
                "actor_id": None,
                "actor_name": "",
                "actor_display_name": "",
                "action": "note",
                "object_type": "x",
                "object_id": str(seq),
                "scope_path": path,
                "scope_key": key,
                "scope_seq": n + 1,
                "scope_prev": h,
                "from_state": "",
                "to_state": "",
                "version": None,
                "comment": "cũ",
                "details": {},
                "prev_hash": prev,
            }
            values["hash"] = prev = entry_digest(values)
            scopes[key] = [n + 1, prev]
            Entry.objects.create(**values)
        old.get_model("audit", "AuditHead").objects.create(pk=1, seq=4, hash=prev, scopes=scopes)
        hashes = list(Entry.objects.order_by("seq").values_list("hash", flat=True))
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    assert list(AuditEntry.objects.order_by("seq").values_list("hash", flat=True)) == hashes
    assert {k: [n, h] for k, n, h in AuditChain.objects.values_list("key", "n", "hash")} == scopes
    assert audit_verify().ok and audit_verify(scope_path="00010001").ok
    new = _note(None, "000100010003", "new")
    assert (new.hash_version, new.scope_seq, new.scope_prev, new.prev_hash) == (3, 3, hashes[2], hashes[2])
    assert new.seq > 4 and AuditHead.objects.get(pk=1).seq == 4
    assert audit_verify().ok and audit_verify(scope_path="00010001").checked == 3
    cp, _ = audit_checkpoint_create()
    assert cp.legacy == [4, hashes[-1]] and audit_verify().ok
    AuditEntry.objects.filter(seq=2).update(comment="sửa")
    result = audit_verify()
    assert not result.ok and result.first_bad_seq == 2 and result.code == "hash_mismatch"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_append_waits_only_for_its_own_affiliate(users):
    """A transaction that appended to XN1's chain and has not committed holds that chain's head
    row only: an append to another affiliate goes through at once, one to XN1 waits."""
    from django.db import OperationalError

    xn1 = Organisation.objects.get(code="XN1").path
    other = "000100020001"
    _note(users["author1"], other, "first")  # both chains exist
    holding, release, results = threading.Event(), threading.Event(), {}

    def hold():
        try:
            with transaction.atomic():
                audit_record(actor=None, action="note", object_type="x", object_id="held", scope_path=xn1)
                holding.set()
                release.wait(20)
        finally:
            connection.close()

    def append(name, path):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '500ms'")
                audit_record(actor=None, action="note", object_type="x", object_id=name, scope_path=path)
            results[name] = "appended"
        except OperationalError as e:
            results[name] = "waited" if "lock timeout" in str(e) else str(e)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(20)
    for name, path in (("other affiliate", other), ("same affiliate", xn1)):
        t = threading.Thread(target=append, args=(name, path))
        t.start()
        t.join(20)
    release.set()
    holder.join(20)
    assert results == {"other affiliate": "appended", "same affiliate": "waited"}
    assert audit_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_on_the_same_and_different_affiliates_never_fork(users):
    """Eight threads append at once, two per affiliate, while checkpoints are signed: every chain is
    numbered without a gap or a fork, entry numbers increase along each chain, everything verifies."""
    from concurrent.futures import ThreadPoolExecutor

    paths = [Organisation.objects.get(code="XN1").path, "000100020001", "000100030001", "000100040001"]
    start = {k: n for k, n in AuditChain.objects.values_list("key", "n")}
    barrier = threading.Barrier(8)

    def worker(i):
        try:
            barrier.wait(20)
            for k in range(15):
                with transaction.atomic():
                    audit_record(
                        actor=None, action="note", object_type="x", object_id=f"{i}-{k}", scope_path=paths[i % 4]
                    )
        finally:
            connection.close()

    def checkpoint(_):
        try:
            return audit_checkpoint_create()[0].pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        jobs = [pool.submit(worker, i) for i in range(8)] + [pool.submit(checkpoint, n) for n in range(3)]
        for job in jobs:
            job.result()
    audit_checkpoint_create()
    for path in paths:
        key = path[:8]
        rows = list(AuditEntry.objects.filter(scope_key=key).order_by("scope_seq").values_list("scope_seq", "seq"))
        assert [n for n, _s in rows] == list(range(1, len(rows) + 1))
        assert len(rows) - start.get(key, 0) == 30
        seqs = [s for _n, s in rows]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert AuditChain.objects.get(key=key).n == len(rows)
    result = audit_verify()
    assert result.ok and result.checked == AuditEntry.objects.count(), result
    assert result.checkpoints_checked >= 2
    for path in paths:
        assert audit_verify(scope_path=path[:8]).ok, path
    _legacy, heads = chain_heads()
    assert {p[:8] for p in paths} <= set(heads)


def test_chain_keys_are_cut_into_ranges_of_about_the_same_number_of_entries():
    from audit.selectors import _key_ranges

    heads = {"a": (10, "h", 1), "b": (10, "h", 2), "c": (10, "h", 3), "d": (10, "h", 4)}
    assert _key_ranges(heads, 2) == [(None, "c"), ("c", None)]
    assert _key_ranges(heads, 4) == [(None, "b"), ("b", "c"), ("c", "d"), ("d", None)]
    assert _key_ranges({"a": (40, "h", 1), "b": (1, "h", 2), "c": (1, "h", 3)}, 2) == [(None, "b"), ("b", None)]
    assert _key_ranges(heads, 1) == [(None, None)]
    assert _key_ranges({"a": (5, "h", 1)}, 4) == [(None, None)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_chains_walked_by_several_processes_give_the_same_answer_as_one(users, capsys):
    """verify_audit --workers N forks N walkers over ranges of chain keys: intact, the same count;
    an entry edited in one chain and a chain's newest entry deleted in another are found exactly as
    one process finds them (the earliest of the two), and the command says so."""
    paths = [Organisation.objects.get(code="XN1").path, "000100020001", "000100030001", "000100040001"]
    for i in range(6):
        for path in paths:
            _note(users["author1"], path, f"{i}")
    from audit.selectors import _head, _key_ranges

    assert len(_key_ranges(_head()["chains"], 4)) == 4  # four walkers really run
    one, four = audit_verify(workers=1), audit_verify(workers=4)
    assert one.ok and four.ok and one.checked == four.checked == AuditEntry.objects.count()
    call_command("verify_audit", "--workers", "3")  # exit 0: intact
    capsys.readouterr()

    edited = AuditEntry.objects.filter(scope_key=paths[3][:8]).order_by("scope_seq")[2]
    AuditEntry.objects.filter(pk=edited.pk).update(comment="sửa lén")
    last = AuditEntry.objects.filter(scope_key=paths[1][:8]).order_by("-scope_seq").first()
    AuditEntry.objects.filter(pk=last.pk).delete()
    one, four = audit_verify(workers=1), audit_verify(workers=4)
    assert not one.ok and (one.code, one.first_bad, one.first_bad_seq) == (
        four.code,
        four.first_bad,
        four.first_bad_seq,
    )
    assert one.checked == four.checked
    assert one.first_bad_seq == min(edited.seq, last.seq)
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit", "--workers", "2")
    assert exc.value.code == 1 and f"#{one.first_bad_seq}" in capsys.readouterr().err
