"""Signed checkpoints of the audit trail (issue 8/2): made by the command, the schedule and the API,
kept in the database, in a file outside it and in the auditors' mail; checked by every verify."""

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.actions import HASHED_FIELDS, audit_checkpoint_create, chain_heads, entry_digest, entry_seq_sync
from audit.chain import HASH_V1, HASH_V2, HASH_V3, HASHED_FIELDS_V1, merkle_leaves, merkle_root
from audit.models import AuditChain, AuditCheckpoint, AuditEntry, AuditHead
from audit.selectors import audit_verify
from audit.signing import (
    CHECKPOINT_PREFIX_V2,
    AuditRefused,
    checkpoint_dir,
    checkpoint_from_row,
    checkpoint_message_v2,
    key_id,
    parse_private_key,
    public_text,
)
from councils.models import Organisation

pytestmark = pytest.mark.django_db


def _file(settings):
    return Path(settings.AUDIT_CHECKPOINT_DIR) / "checkpoints.jsonl"


def _lines(settings):
    path = _file(settings)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_checkpoint_signs_the_head_and_is_kept_in_the_database_and_a_file(flow, settings, capsys):
    flow.to_unit_council()
    call_command("audit_checkpoint")
    legacy, heads = chain_heads()
    cp = AuditCheckpoint.objects.get()
    # format 2: the Merkle root over the closed global chain's end and every chain's head
    assert cp.version == 2 and cp.scopes == {k: list(v) for k, v in heads.items()} and len(heads) >= 2
    assert cp.legacy == [0, ""] and cp.seq == max(s for _n, _h, s in heads.values())
    leaves = merkle_leaves((0, ""), heads)
    assert cp.hash == merkle_root(leaves) and cp.tree_size == len(leaves) == len(heads) + 1
    assert {tuple(v) for v in cp.scopes.values()} == set(
        AuditChain.objects.filter(n__gt=0).values_list("n", "hash", "seq")
    )
    # the signature holds under the current key, over the documented bytes
    key = parse_private_key(settings.AUDIT_SIGNING_KEY)
    assert cp.key_id == key_id(key.public_key())
    signed = checkpoint_from_row(cp)
    message = checkpoint_message_v2(root=cp.hash, size=cp.tree_size, seq=cp.seq, at=signed.at, key_id=cp.key_id)
    assert message.startswith(CHECKPOINT_PREFIX_V2)
    key.public_key().verify(base64.b64decode(cp.signature), message)
    # the same checkpoint, one JSON line, outside the database
    (line,) = _lines(settings)
    assert line == signed.as_json() and line["seq"] == cp.seq
    assert "Đã ký mốc" in capsys.readouterr().out


def test_the_checkpoint_is_mailed_to_the_topmost_auditors(flow, users, mailoutbox, django_capture_on_commit_callbacks):
    from workflow.actions import trail_checkpoint_create

    flow.to_unit_council()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint, created = trail_checkpoint_create(actor=users["auditor_b"])
    assert created
    # auditor_n (the sector NGANH) is above auditor_b (TCTB, under NGANH): only auditor_n is mailed
    assert [m.to for m in mailoutbox] == [["auditor_n@example.org"]]
    mail = mailoutbox[0]
    assert f"#{checkpoint.seq}" in mail.subject and checkpoint.hash in mail.body
    name, content, mimetype = mail.attachments[0]
    assert name == f"audit-checkpoint-{checkpoint.seq}.jsonl" and mimetype == "application/json"
    assert json.loads(content)["signature"] == checkpoint.signature
    # the beat task signs nothing new (and mails nothing) while the trail stands still
    from workflow.tasks import audit_checkpoint

    with django_capture_on_commit_callbacks(execute=True):
        assert audit_checkpoint() == {"seq": checkpoint.seq, "created": False}
    assert len(mailoutbox) == 1


def test_nothing_new_is_signed_while_the_trail_stands_still(flow, settings):
    flow.to_unit_council()
    first, created = audit_checkpoint_create()
    assert created
    again, created = audit_checkpoint_create()
    assert not created and again.pk == first.pk and len(_lines(settings)) == 1
    flow.draft()
    later, created = audit_checkpoint_create()
    assert created and later.seq > first.seq and len(_lines(settings)) == 2


def test_who_may_make_and_list_checkpoints(flow, api, users, settings):
    flow.to_unit_council()
    assert api(users["author1"]).post("/api/v1/audit/checkpoints/").status_code == 403
    assert api(users["officer_a"]).post("/api/v1/audit/checkpoints/").status_code == 403
    assert api(users["officer_a"]).get("/api/v1/audit/checkpoints/").status_code == 403
    assert api().post("/api/v1/audit/checkpoints/").status_code == 401
    r = api(users["auditor_b"]).post("/api/v1/audit/checkpoints/")
    assert r.status_code == 201, r.content
    body = r.json()
    assert {"seq", "hash", "at", "signature", "key_id"} <= set(body)
    assert api(users["admin_n"]).post("/api/v1/audit/checkpoints/").status_code == 200  # nothing new
    flow.draft()
    assert api(users["admin_n"]).post("/api/v1/audit/checkpoints/").status_code == 201
    r = api(users["auditor_n"]).get("/api/v1/audit/checkpoints/", {"page_size": 1})
    assert r.status_code == 200
    page = r.json()
    assert page["count"] == 2 and page["next"] and len(page["results"]) == 1
    assert page["results"][0]["seq"] > body["seq"]  # newest first


def test_verify_checks_every_checkpoint_in_the_database_and_the_file(flow, api, users, settings):
    flow.to_unit_council()
    audit_checkpoint_create()
    flow.draft()
    audit_checkpoint_create()
    r = api(users["auditor_n"]).get("/api/v1/audit/verify/")
    assert r.json() == {"ok": True, "checked": AuditEntry.objects.count(), "checkpoints_checked": 2}
    # the file alone still counts them when the database lost its checkpoints
    AuditCheckpoint.objects.all().delete()
    assert audit_verify().checkpoints_checked == 2
    scoped = api(users["auditor_n"]).get("/api/v1/audit/verify/", {"organisation": "XN1"}).json()
    assert scoped["ok"] and scoped["checkpoints_checked"] == 2


def test_without_a_key_and_debug_off_no_checkpoint_is_made(flow, settings, api, users):
    settings.AUDIT_SIGNING_KEY = ""
    settings.DEBUG = False
    flow.to_unit_council()
    with pytest.raises(AuditRefused) as exc:
        audit_checkpoint_create()
    assert exc.value.code == "signing_key_missing" and "AUDIT_SIGNING_KEY" in exc.value.detail
    r = api(users["auditor_n"]).post("/api/v1/audit/checkpoints/")
    assert r.status_code == 409 and r.json()["code"] == "signing_key_missing"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="AUDIT_SIGNING_KEY"):
        call_command("audit_checkpoint")
    settings.AUDIT_SIGNING_KEY = "not a key"
    with pytest.raises(AuditRefused) as exc:
        audit_checkpoint_create()
    assert exc.value.code == "signing_key_invalid"
    assert not AuditCheckpoint.objects.exists()


def test_without_an_external_directory_and_debug_off_no_checkpoint_is_made(flow, settings):
    settings.AUDIT_CHECKPOINT_DIR = ""
    settings.DEBUG = False
    flow.draft()
    with pytest.raises(AuditRefused) as exc:
        audit_checkpoint_create()
    assert exc.value.code == "checkpoint_dir_missing" and "AUDIT_CHECKPOINT_DIR" in exc.value.detail


def test_in_debug_a_development_key_and_directory_are_made_once(flow, settings, tmp_path):
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_CHECKPOINT_DIR = ""
    settings.DEBUG = True
    settings.AUDIT_DEV_CHECKPOINT_ROOT = tmp_path / "var" / "audit-checkpoints"
    flow.draft()
    cp, created = audit_checkpoint_create()
    key_file = Path(settings.AUDIT_DEV_KEY_FILE)
    assert created and key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    directory = checkpoint_dir()
    assert directory.parent == settings.AUDIT_DEV_CHECKPOINT_ROOT and (directory / "checkpoints.jsonl").exists()
    flow.draft()
    cp2, _ = audit_checkpoint_create()
    assert cp2.key_id == cp.key_id  # the same key, not a new one each time
    assert audit_verify().ok


def test_a_rotated_key_still_verifies_when_listed(flow, settings):
    flow.to_unit_council()
    audit_checkpoint_create()
    old = parse_private_key(settings.AUDIT_SIGNING_KEY)
    new = Ed25519PrivateKey.generate()
    settings.AUDIT_SIGNING_KEY = base64.b64encode(new.private_bytes_raw()).decode()
    result = audit_verify()
    assert not result.ok and result.code == "checkpoint_unknown_key"
    settings.AUDIT_VERIFY_KEYS = [public_text(old.public_key())]
    assert audit_verify().ok
    flow.draft()
    cp, created = audit_checkpoint_create()
    assert created and cp.key_id == key_id(new.public_key())
    assert audit_verify().checkpoints_checked == 2 and audit_verify().ok


def test_a_forged_or_altered_checkpoint_fails_verify(flow, settings):
    flow.to_unit_council()
    cp, _ = audit_checkpoint_create()
    AuditCheckpoint.objects.filter(pk=cp.pk).update(seq=cp.seq - 1)
    result = audit_verify()
    assert not result.ok and result.code == "checkpoint_bad_signature"
    AuditCheckpoint.objects.filter(pk=cp.pk).update(seq=cp.seq)
    assert audit_verify().ok
    # a line signed with a key nobody trusts
    stranger = Ed25519PrivateKey.generate()
    from audit.signing import checkpoint_append, checkpoint_sign_heads

    legacy, heads = chain_heads()
    forged = checkpoint_sign_heads(key=stranger, legacy=(legacy.seq, legacy.hash), heads=heads, at=cp.at)
    checkpoint_append(forged, Path(settings.AUDIT_CHECKPOINT_DIR))
    result = audit_verify()
    assert not result.ok and result.code == "checkpoint_unknown_key"
    # garbage appended to the file
    with _file(settings).open("a") as f:
        f.write("not json\n")
    settings.AUDIT_VERIFY_KEYS = [public_text(stranger.public_key())]
    result = audit_verify()
    assert not result.ok and result.code == "checkpoint_malformed"


def test_no_checkpoint_vouches_for_a_trail_already_broken(flow, settings):
    flow.to_unit_council()
    audit_checkpoint_create()
    iid = flow.draft()  # after the checkpoint: what the next one would vouch for
    e = AuditEntry.objects.get(action="create", object_id=str(iid))
    AuditEntry.objects.filter(pk=e.pk).update(comment="sửa lén")
    with pytest.raises(AuditRefused) as exc:
        audit_checkpoint_create()
    assert exc.value.code == "audit_broken"
    assert AuditCheckpoint.objects.count() == 1 and len(_lines(settings)) == 1


def test_verify_from_outside_with_only_the_public_key_and_the_file(flow, settings, tmp_path, capsys):
    flow.to_unit_council()
    audit_checkpoint_create()
    copy = tmp_path / "auditor-copy.jsonl"
    copy.write_text(_file(settings).read_text())
    public = public_text(parse_private_key(settings.AUDIT_SIGNING_KEY).public_key())
    pem_file = tmp_path / "public.pem"
    from cryptography.hazmat.primitives import serialization

    pem_file.write_bytes(
        parse_private_key(settings.AUDIT_SIGNING_KEY)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    # the application's own key configuration is not what the outside check trusts
    settings.AUDIT_SIGNING_KEY = base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()
    call_command("verify_audit", "--checkpoints", str(copy), "--public-key", public)
    assert "1 mốc" in capsys.readouterr().out
    call_command("verify_audit", "--checkpoints", str(copy), "--public-key", str(pem_file))
    # a key that did not sign it: exit 1
    other = public_text(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit", "--checkpoints", str(copy), "--public-key", other)
    assert exc.value.code == 1
    assert "checkpoint_unknown_key" in capsys.readouterr().err


def test_the_history_shows_only_hashed_names(flow, users, api, client):
    iid = flow.to_unit_council()
    entry = AuditEntry.objects.get(action="forward", object_id=str(iid))
    assert entry.hash_version == 3 and entry.actor_id == users["u1_adv"].pk
    assert entry.actor_display_name == "Tư Vấn XN1"
    # renaming the person afterwards changes neither the history nor the hash
    users["u1_adv"].full_name = "Tên Mới"
    users["u1_adv"].save()
    rows = flow.history("author1", iid)
    forward = next(r for r in rows if r["action"] == "forward")
    assert forward["actor"] == "u1_adv" and forward["actor_display_name"] == "Tư Vấn XN1"
    client.force_login(users["author1"])
    html = client.get(f"/initiatives/{iid}/").content.decode()
    assert "Tư Vấn XN1" in html and "Tên Mới" not in html
    assert audit_verify().ok
    # and the page shows what the hash covers: an edited shown name is caught
    AuditEntry.objects.filter(pk=entry.pk).update(actor_display_name="Người Khác")
    assert audit_verify().first_bad == entry.pk


def _legacy_trail(users, n=4):
    """Entries as the code before issue 8 wrote them (format 1), with the head at the last."""
    from django.utils import timezone

    prev = ""
    org = Organisation.objects.get(code="XN1")
    for i in range(1, n + 1):
        values = {
            "seq": i,
            "at": timezone.now(),
            "actor_name": "author1",
            "action": "create",
            "object_type": "initiative",
            "object_id": str(1000 + i),
            "scope_path": org.path,
            "from_state": "",
            "to_state": "draft",
            "version": 1,
            "comment": "",
            "details": {"n": i},
            "prev_hash": prev,
        }
        values["hash"] = entry_digest(values)  # no hash_version: format 1, as before
        AuditEntry.objects.create(hash_version=HASH_V1, actor=users["author1"], **values)
        prev = values["hash"]
    AuditHead.objects.update_or_create(pk=1, defaults={"seq": n, "hash": prev, "scopes": {}})
    entry_seq_sync()


@pytest.fixture
def legacy(users):
    """A database upgraded from before issue 8: the old entries, then the new ones on top."""
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()
    AuditChain.objects.all().delete()
    _legacy_trail(users)
    return users


def test_entries_of_the_old_format_still_verify_and_new_ones_chain_on(legacy, make_draft):
    assert audit_verify().ok
    make_draft("author1")
    make_draft("author2", organisation="XN2")
    new = AuditEntry.objects.filter(hash_version=HASH_V3).order_by("seq")
    assert new.count() >= 2 and new.first().seq > 4
    assert new.first().scope_seq == 1 and new.first().prev_hash == ""  # scope chains begin after the upgrade
    assert AuditHead.objects.get(pk=1).seq == 4  # the old global chain is closed, not extended
    assert audit_verify().ok
    xn1 = Organisation.objects.get(code="XN1").path
    result = audit_verify(scope_path=xn1)
    assert result.ok and result.checked >= 5
    audit_checkpoint_create()
    assert audit_verify().ok and audit_verify(scope_path=xn1).ok


def test_an_old_entry_edited_or_given_another_actor_is_caught(legacy, make_draft):
    make_draft("author1")
    old = AuditEntry.objects.get(seq=2)
    AuditEntry.objects.filter(pk=old.pk).update(actor=legacy["outsider"])
    result = audit_verify()
    assert not result.ok and result.first_bad == old.pk and result.code == "actor_mismatch"
    xn1 = Organisation.objects.get(code="XN1").path
    assert audit_verify(scope_path=xn1).first_bad == old.pk
    AuditEntry.objects.filter(pk=old.pk).update(actor=legacy["author1"], comment="sửa")
    result = audit_verify()
    assert not result.ok and result.first_bad == old.pk and result.code == "hash_mismatch"


@pytest.mark.parametrize("version", [HASH_V1, HASH_V2])
def test_a_new_entry_cannot_pass_as_old_format(flow, version):
    """Downgrading an entry of a chain to an older format (1 does not hash the actor; 2 belongs to
    the closed global chain) and re-hashing it: the format may never go down along a chain."""
    iid = flow.to_unit_council()
    e = AuditEntry.objects.get(action="forward", object_id=str(iid))
    fields = HASHED_FIELDS_V1 if version == HASH_V1 else HASHED_FIELDS
    values = {f: getattr(e, f) for f in fields} | {"hash_version": version}
    AuditEntry.objects.filter(pk=e.pk).update(hash_version=version, hash=entry_digest(values))
    result = audit_verify()
    assert not result.ok and result.first_bad == e.pk, result
    assert result.code == "format_downgrade", result


def _other_sector(n):
    """``n`` entries of another sector (scope 00010002): a scoped verify of XN1 must not walk them."""
    from django.db import transaction

    from audit.actions import audit_record

    with transaction.atomic():
        for i in range(n):
            audit_record(actor=None, action="note", object_type="x", object_id=i, scope_path="000100020001")


def test_a_scoped_verify_walks_only_its_scope(flow):
    flow.to_unit_council()
    xn1 = Organisation.objects.get(code="XN1").path
    _other_sector(5)
    before = audit_verify(scope_path=xn1)
    with CaptureQueriesContext(connection) as few:
        audit_verify(scope_path=xn1)
    _other_sector(50)
    whole, scoped = audit_verify(), audit_verify(scope_path=xn1)
    assert whole.ok and scoped.ok
    assert scoped.checked == before.checked == AuditEntry.objects.filter(scope_key=xn1[:8]).count()
    assert whole.checked == AuditEntry.objects.count() > scoped.checked + 50
    with CaptureQueriesContext(connection) as many:
        audit_verify(scope_path=xn1)
    assert len(many.captured_queries) == len(few.captured_queries) < 15
    # and the other sector's own verify sees its 55 entries and nothing of XN1's
    assert audit_verify(scope_path="00010002").checked == 55


def test_appending_costs_two_statements_on_postgresql_three_elsewhere(flow, users):
    from django.db import transaction

    from audit.actions import audit_record

    flow.draft()
    org = Organisation.objects.get(code="XN1")
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        audit_record(actor=users["author1"], action="note", obj=org)
    sql = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # lock the chain's head taking the number; insert the entry and move the head (PostgreSQL: one
    # statement, the insert a CTE of the head's update)
    assert len(sql) == (2 if connection.vendor == "postgresql" else 3), sql
    assert "FOR UPDATE" in sql[0] or connection.vendor != "postgresql"
    assert AuditEntry.objects.filter(action="note").count() == 1


def test_the_schema_describes_the_checkpoint_endpoints(api, users):
    r = api(users["auditor_n"]).get("/api/schema/", {"format": "json"})
    schema = r.json() if r.headers["content-type"].startswith("application/json") else None
    if schema is None:
        import yaml

        schema = yaml.safe_load(r.content)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/audit/checkpoints/"])
    verify = paths["/api/v1/audit/verify/"]["get"]
    assert any(p["name"] == "organisation" for p in verify["parameters"])
    props = schema["components"]["schemas"]["AuditVerify"]["properties"]
    assert {"ok", "checked", "checkpoints_checked", "first_bad", "reason"} <= set(props)
    assert "PaginatedAuditCheckpointList" in schema["components"]["schemas"]
    assert {"seq", "hash", "at", "signature", "key_id"} <= set(
        schema["components"]["schemas"]["AuditCheckpoint"]["properties"]
    )


def test_hashed_fields_cover_everything_shown():
    from workflow.api import HistoryEntrySerializer

    shown = {f.source for f in HistoryEntrySerializer().fields.values()}
    # hash / prev_hash / id are the chain's own; shown_actor reads hashed fields only
    assert shown - {"hash", "prev_hash", "id", "shown_actor"} <= set(HASHED_FIELDS)
    assert {"actor_id", "actor_display_name", "scope_path", "scope_seq", "scope_prev"} <= set(HASHED_FIELDS)


def test_verify_speaks_one_language(flow, api, users):
    iid = flow.to_unit_council()
    e = AuditEntry.objects.get(action="forward", object_id=str(iid))
    AuditEntry.objects.filter(pk=e.pk).update(comment="sửa")
    client = api(users["auditor_n"])
    vi = client.get("/api/v1/audit/verify/", HTTP_ACCEPT_LANGUAGE="vi").json()["reason"]
    en = client.get("/api/v1/audit/verify/", HTTP_ACCEPT_LANGUAGE="en").json()["reason"]
    assert vi == "Nội dung mục không khớp với mã băm của nó"
    assert en == "The entry's content does not match its hash"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_checkpoints_made_while_actions_append_stay_consistent(users):
    """Appends in four scopes and checkpoints, all at once on real connections: every checkpoint
    is signed over a committed head, and the whole and each scoped verify pass."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import transaction

    from audit.actions import audit_record

    paths = [Organisation.objects.get(code=c).path for c in ("XN1", "XN2", "XN3")] + ["000100020001"]

    def append(i):
        try:
            with transaction.atomic():
                audit_record(
                    actor=users["author1"], action="note", object_type="x", object_id=i, scope_path=paths[i % 4]
                )
        finally:
            connection.close()

    def checkpoint(_):
        try:
            return audit_checkpoint_create()[0].seq
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = [pool.submit(append, i) for i in range(80)]
        jobs[20:20] = [pool.submit(checkpoint, n) for n in range(6)]
        for job in jobs:
            job.result()
    audit_checkpoint_create()
    assert AuditCheckpoint.objects.count() >= 2
    result = audit_verify()
    assert result.ok and result.checked == AuditEntry.objects.count(), result
    for path in (*paths, "00010002"):
        assert audit_verify(scope_path=path).ok, path


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_migration_keeps_old_entries_and_their_hashes():
    """Entries written before the upgrade keep their bytes and hashes; the migration marks them
    format 1 and the new code verifies them and chains new entries on."""
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    before, latest = [("audit", "0002_initial")], [("audit", "0005_i12_chains_per_scope")]
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()
    AuditChain.objects.all().delete()
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        prev = ""
        for seq in (1, 2, 3):
            values = {
                "seq": seq,
                "at": timezone.now(),
                "actor_name": "someone",
                "action": "create",
                "object_type": "initiative",
                "object_id": str(seq),
                "scope_path": "000100010001",
                "from_state": "",
                "to_state": "draft",
                "version": 1,
                "comment": "cũ",
                "details": {"n": seq},
                "prev_hash": prev,
            }
            values["hash"] = prev = entry_digest(values)
            old.get_model("audit", "AuditEntry").objects.create(**values)
        old.get_model("audit", "AuditHead").objects.create(pk=1, seq=3, hash=prev)
        hashes = list(old.get_model("audit", "AuditEntry").objects.order_by("seq").values_list("hash", flat=True))
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    assert list(AuditEntry.objects.order_by("seq").values_list("hash", flat=True)) == hashes
    assert set(AuditEntry.objects.values_list("hash_version", flat=True)) == {1}
    assert AuditHead.objects.get(pk=1).scopes == {}
    assert audit_verify().ok and audit_verify(scope_path="00010001").ok
    from django.db import transaction

    from audit.actions import audit_record

    with transaction.atomic():
        audit_record(actor=None, action="note", object_type="x", object_id=1, scope_path="000100010001")
    new = AuditEntry.objects.get(seq=4)
    assert new.hash_version == 3 and new.prev_hash == "" and new.scope_seq == 1
    assert audit_verify().ok and audit_verify(scope_path="00010001").checked == 4


def test_the_command_prints_the_public_key_to_hand_out(settings, capsys):
    call_command("audit_checkpoint", "--public-key")
    kid, public = capsys.readouterr().out.split()
    key = parse_private_key(settings.AUDIT_SIGNING_KEY).public_key()
    assert (kid, public) == (key_id(key), public_text(key))
    assert not AuditCheckpoint.objects.exists()
