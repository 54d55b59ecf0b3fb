"""Backups of one instance: the database and the media files in one tar with a manifest.

    sangkien-backup-20261206T021500Z.tar.gz
      manifest.json       format, when, engine, migrations, the trail's head, sha256 of every member
      database.dump       PostgreSQL: pg_dump's custom format (pg_restore reads it)
      database.sqlite3    SQLite: a consistent copy through SQLite's backup API
      media/…             every file under MEDIA_ROOT (file-system storage; S3 is backed up by its own means)

The checkpoints file (AUDIT_CHECKPOINT_DIR) is deliberately not in it: it is the trail's witness
outside the database and is kept, and copied, apart (docs/operations.md, "Backups").
"""

import contextlib
import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "sangkien-backup"
FORMAT_VERSION = 1
PREFIX = "sangkien-backup-"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why (translated)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _engine(alias="default") -> str:
    vendor = connections[alias].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(_("Không hỗ trợ sao lưu cơ sở dữ liệu loại %(vendor)s") % {"vendor": vendor})
    return vendor


def _pg_env(alias="default") -> dict:
    s = connections[alias].settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if s.get(key):
            env[var] = str(s[key])
    env["PGDATABASE"] = s["NAME"]
    if sslmode := (s.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    return env


def _run(cmd: list[str], env: dict) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(_("Không tìm thấy chương trình %(program)s (cài postgresql-client)") % {"program": cmd[0]})
    if done.returncode != 0:
        # pg_dump's message names tables and the server, never the password (given in PGPASSWORD)
        raise BackupError(
            _("%(program)s thất bại: %(error)s") % {"program": cmd[0], "error": done.stderr.strip()[-2000:]}
        )


def _media_storage_is_local() -> bool:
    return settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def _media_files(root: Path):
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def _migrations() -> dict:
    applied = {}
    for app, name in MigrationRecorder(connections["default"]).applied_migrations():
        if name > applied.get(app, ""):
            applied[app] = name
    return dict(sorted(applied.items()))


def _audit_head() -> dict:
    """Where the trail stood: the highest entry number and the Merkle root over every chain's head
    (the closed global chain's end first, then one chain per affiliate), as a checkpoint signs it."""
    from audit.actions import chain_heads
    from audit.chain import merkle_leaves, merkle_root

    head, heads = chain_heads()
    seq = max([head.seq, *(s for _n, _h, s in heads.values())])
    return {"seq": seq, "hash": merkle_root(merkle_leaves((head.seq, head.hash), heads)), "chains": len(heads)}


@dataclass
class BackupResult:
    path: Path
    files: int
    size: int
    audit_seq: int
    removed: list


def backup_create(*, output: Path | None = None, output_dir: Path | None = None, media: bool = True, keep: int = 0):
    engine = _engine()
    if connections["default"].in_atomic_block:
        # pg_dump would miss what this transaction wrote; SQLite's backup would wait for it for ever
        raise BackupError(_("Không sao lưu từ bên trong một giao dịch đang mở"))
    now = timezone.now().astimezone(datetime.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    if output is None:
        output_dir = Path(output_dir or ".")
        output_dir.mkdir(parents=True, exist_ok=True)
        output = output_dir / f"{PREFIX}{stamp}.tar.gz"
    output = Path(output)
    if output.exists():
        raise BackupError(_("Tệp %(path)s đã có: chọn tên khác") % {"path": output})
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": now.isoformat(),
        "engine": engine,
        "migrations": _migrations(),
        "audit_head": _audit_head(),
        "media": bool(media and _media_storage_is_local()),
        "files": {},
    }
    with tempfile.TemporaryDirectory(prefix="sangkien-backup-") as tmp:
        tmp = Path(tmp)
        if engine == "postgresql":
            db_file = tmp / "database.dump"
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={db_file}"], _pg_env())
        else:
            db_file = tmp / "database.sqlite3"
            connection = connections["default"]
            connection.ensure_connection()
            target = sqlite3.connect(db_file)
            try:
                connection.connection.backup(target)  # consistent even while others write
            finally:
                target.close()
        manifest["files"][db_file.name] = {"sha256": _sha256(db_file), "size": db_file.stat().st_size}
        media_root = Path(settings.MEDIA_ROOT)
        media_paths = list(_media_files(media_root)) if manifest["media"] else []
        for path in media_paths:
            name = "media/" + path.relative_to(media_root).as_posix()
            manifest["files"][name] = {"sha256": _sha256(path), "size": path.stat().st_size}
        partial = output.with_name(output.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds every dossier
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
                tar.add(db_file, arcname=db_file.name, recursive=False)
                for path in media_paths:
                    tar.add(path, arcname="media/" + path.relative_to(media_root).as_posix(), recursive=False)
            os.replace(partial, output)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
            raise
    removed = _prune(output.parent, keep) if keep else []
    return BackupResult(output, len(manifest["files"]), output.stat().st_size, manifest["audit_head"]["seq"], removed)


def _prune(directory: Path, keep: int) -> list:
    backups = sorted(directory.glob(f"{PREFIX}*.tar.gz"))
    old = backups[:-keep] if len(backups) > keep else []
    for path in old:
        path.unlink()
    return old


# --- restore ----------------------------------------------------------------------------------------


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember("manifest.json")
        manifest = json.load(tar.extractfile(member))
    except (KeyError, ValueError, AttributeError):
        raise BackupError(_("Không phải bản sao lưu: thiếu hoặc hỏng manifest.json"))
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError(_("Không phải bản sao lưu của phần mềm này (định dạng không đúng)"))
    return manifest


def database_is_empty() -> bool:
    connection = connections["default"]
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def _media_is_empty(root: Path) -> bool:
    return next(_media_files(root), None) is None


@dataclass
class RestoreResult:
    engine: str
    files: int
    audit_seq: int
    created_at: str


def backup_restore(*, path: Path, force: bool = False, media: bool = True) -> RestoreResult:
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("Không có tệp %(path)s") % {"path": path})
    engine = _engine()
    try:
        tar = tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError):
        raise BackupError(_("Không đọc được tệp sao lưu %(path)s") % {"path": path})
    with tar, tempfile.TemporaryDirectory(prefix="sangkien-restore-") as tmp:
        manifest = _read_manifest(tar)
        if manifest["engine"] != engine:
            raise BackupError(
                _("Bản sao lưu là của %(theirs)s, cơ sở dữ liệu này là %(ours)s")
                % {"theirs": manifest["engine"], "ours": engine}
            )
        files = manifest.get("files") or {}
        names = {m.name for m in tar.getmembers() if m.isfile()} - {"manifest.json"}
        if names != set(files):
            raise BackupError(_("Bản sao lưu không khớp với manifest của nó (thiếu hoặc thừa tệp)"))
        # every member checked before anything is written
        tar.extractall(tmp, members=[m for m in tar.getmembers() if m.name in files], filter="data")
        tmp = Path(tmp)
        for name, meta in files.items():
            if _sha256(tmp / name) != meta["sha256"]:
                raise BackupError(_("Tệp %(name)s trong bản sao lưu đã bị hỏng (sai mã băm)") % {"name": name})
        restore_media = media and manifest.get("media") and _media_storage_is_local()
        media_root = Path(settings.MEDIA_ROOT)
        if not force:
            if not database_is_empty():
                raise BackupError(
                    _("Cơ sở dữ liệu đích đã có dữ liệu: không phục hồi đè lên (thêm --force nếu thật sự muốn thay)")
                )
            if restore_media and not _media_is_empty(media_root):
                raise BackupError(
                    _("Thư mục tệp đính kèm %(path)s đã có tệp: không phục hồi đè lên (thêm --force)")
                    % {"path": media_root}
                )
        if engine == "postgresql":
            cmd = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
            if force:
                cmd += ["--clean", "--if-exists"]
            connections["default"].close()
            env = _pg_env()
            _run([*cmd, f"--dbname={env['PGDATABASE']}", str(tmp / "database.dump")], env)
        else:
            connection = connections["default"]
            connection.close()
            source = sqlite3.connect(tmp / "database.sqlite3")
            target = sqlite3.connect(connection.settings_dict["NAME"])
            try:
                source.backup(target)  # replaces the whole target database
            finally:
                source.close()
                target.close()
        if restore_media:
            for name in files:
                if not name.startswith("media/"):
                    continue
                dest = media_root / name[len("media/") :]
                dest.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
                shutil.copyfile(tmp / name, dest)
                os.chmod(dest, 0o640)
    return RestoreResult(engine, len(files), manifest["audit_head"]["seq"], manifest["created_at"])
