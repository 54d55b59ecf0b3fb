"""manage.py backup / restore: a round trip into a fresh database, checked by verify_audit against
the signed checkpoints kept outside the database; refusals (non-empty target, damaged file)."""

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditEntry
from audit.signing import parse_private_key, public_text
from tests.conftest import TEST_AUDIT_SIGNING_KEY

ROOT = Path(__file__).resolve().parents[2]


def _manage(args, database_url, media_root, expect=0):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": "restore-test-only",
        "DJANGO_DEBUG": "0",
        "MEDIA_ROOT": str(media_root),
        "AUDIT_CHECKPOINT_DIR": str(media_root.parent / "no-checkpoints"),
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == expect, (args, done.returncode, done.stdout, done.stderr)
    return done


@pytest.fixture
def fresh_database(tmp_path):
    """An empty database of the same engine, apart from the test database: its URL."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    s = connection.settings_dict
    name = f"{s['NAME']}_restore"[:60]
    admin = dict(os.environ, PGPASSWORD=str(s.get("PASSWORD") or ""))
    base = ["psql", "-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432), "-U", s["USER"], "-d", "postgres"]
    subprocess.run([*base, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], env=admin, check=True)
    subprocess.run([*base, "-qc", f'CREATE DATABASE "{name}"'], env=admin, check=True)
    auth = f"{s['USER']}:{s['PASSWORD']}@" if s.get("PASSWORD") else f"{s['USER']}@"
    yield f"postgres://{auth}{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
    subprocess.run([*base, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], env=admin, check=True)


@pytest.mark.django_db(transaction=True)  # pg_dump sees only what is committed
def test_a_backup_restores_into_a_fresh_database_whose_trail_verifies_against_the_checkpoints(
    flow, tmp_path, fresh_database, capsys
):
    iid = flow.to_unit_council()
    flow.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "approve", "u1_chair")
    attachment = Path(settings.MEDIA_ROOT) / "attachments" / "2026" / "ho-so.pdf"
    attachment.parent.mkdir(parents=True)
    attachment.write_bytes(b"%PDF-1.4 dossier bytes \xe1\xba\xa1")
    call_command("audit_checkpoint")
    checkpoints = Path(settings.AUDIT_CHECKPOINT_DIR) / "checkpoints.jsonl"
    head = AuditEntry.objects.order_by("-seq").first()  # the newest entry, on its affiliate's chain

    call_command("backup", "--output-dir", str(tmp_path / "backups"))
    out = capsys.readouterr().out
    (archive,) = (tmp_path / "backups").glob("sangkien-backup-*.tar.gz")
    assert str(archive) in out and oct(archive.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["engine"] == connection.vendor and manifest["audit_head"]["seq"] == head.seq
    assert "media/attachments/2026/ho-so.pdf" in manifest["files"]
    assert manifest["migrations"]["workflow"].startswith("00")

    media = tmp_path / "restored-media"
    done = _manage(["restore", str(archive)], fresh_database, media)
    assert f"#{head.seq}" in done.stdout
    assert (media / "attachments" / "2026" / "ho-so.pdf").read_bytes() == attachment.read_bytes()
    # the restored trail holds against the signed checkpoint and the public key only
    public = public_text(parse_private_key(TEST_AUDIT_SIGNING_KEY).public_key())
    verified = _manage(
        ["verify_audit", "--checkpoints", str(checkpoints), "--public-key", public], fresh_database, media
    )
    assert f"{AuditEntry.objects.count()} mục và 1 mốc" in verified.stdout

    # a second restore over what is now there is refused, and changes nothing; --force replaces it
    refused = _manage(["restore", str(archive)], fresh_database, media, expect=1)
    assert "--force" in refused.stderr
    _manage(["restore", str(archive), "--force"], fresh_database, media)
    _manage(["verify_audit", "--checkpoints", str(checkpoints), "--public-key", public], fresh_database, media)


def _rewrite(archive: Path, target: Path, change):
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            data = change(member.name, data)
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


@pytest.mark.django_db(transaction=True)
def test_a_damaged_or_foreign_backup_is_refused_before_anything_is_written(structure, tmp_path):
    call_command("backup", "--output", str(tmp_path / "b.tar.gz"), "--no-media")
    damaged = tmp_path / "damaged.tar.gz"
    _rewrite(
        tmp_path / "b.tar.gz",
        damaged,
        lambda name, data: data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("database.") else data,
    )
    with pytest.raises(CommandError, match="database.* (hỏng|damaged)"):
        call_command("restore", str(damaged), "--force")
    foreign = tmp_path / "foreign.tar.gz"
    _rewrite(
        tmp_path / "b.tar.gz", foreign, lambda name, data: b'{"format": "other"}' if name == "manifest.json" else data
    )
    with pytest.raises(CommandError, match="định dạng"):
        call_command("restore", str(foreign), "--force")
    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "missing.tar.gz"))
    # the test database, which is not empty, is refused without --force
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(tmp_path / "b.tar.gz"))


@pytest.mark.django_db(transaction=True)
def test_keep_removes_the_oldest_backups(structure, tmp_path):
    old = tmp_path / "sangkien-backup-20200101T000000Z.tar.gz"
    old.write_bytes(b"old")
    older = tmp_path / "sangkien-backup-20190101T000000Z.tar.gz"
    older.write_bytes(b"older")
    call_command("backup", "--output-dir", str(tmp_path), "--keep", "2", "--no-media")
    left = sorted(p.name for p in tmp_path.glob("sangkien-backup-*.tar.gz"))
    assert len(left) == 2 and left[0] == old.name


@pytest.mark.django_db
def test_a_backup_from_inside_an_open_transaction_is_refused(tmp_path):
    with pytest.raises(CommandError, match="giao dịch"):
        call_command("backup", "--output", str(tmp_path / "b.tar.gz"))
    assert not list(tmp_path.iterdir())
