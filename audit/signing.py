"""Signed checkpoints: Ed25519 keys, the exact bytes a checkpoint signs, the file outside the
database that keeps a copy of every checkpoint.

What is signed (``checkpoint_message``)::

    b"sangkien/audit-checkpoint/v1\\n" + canonical JSON of
    {"at": "2026-12-02T01:57:19.123456Z", "hash": "<entry hash at seq>", "key_id": "<16 hex>",
     "scopes": {"<scope_key>": [<scope_seq>, "<hash>"], …}, "seq": <int>}

(keys sorted, no spaces, UTF-8). The prefix separates these signatures from any other use of
the key. ``key_id`` is the first 8 bytes of sha256 over the raw 32-byte public key, in hex.

Format 2 (issue 12: one chain per scope) signs a Merkle tree head, as Certificate Transparency::

    b"sangkien/audit-checkpoint/v2\n" + canonical JSON of
    {"at": "…Z", "key_id": "<16 hex>", "root": "<Merkle root, hex>", "seq": <highest entry number
     covered>, "size": <leaves>}

over the leaves of ``audit.chain.merkle_leaves``: the closed global chain's end (``legacy``:
[seq, hash]) and each chain's head (``scopes``: {key: [n, hash, seq]}), RFC 6962 hashing. The
heads travel with the signature (in the database row, the file line and the mail) and are bound
by the root: a verifier recomputes it before trusting them. ``hash`` is the root.

Keys: ``AUDIT_SIGNING_KEY`` holds the private key (PEM, or the raw 32 bytes in base64). With
DEBUG on and no key, a development key is made once in ``AUDIT_DEV_KEY_FILE`` (``var/keys/``,
git-ignored). With DEBUG off and no key, no checkpoint is made. ``AUDIT_VERIFY_KEYS`` lists the
public keys trusted besides the current one (PEM or base64), so checkpoints signed before a
rotation still verify.

The external file: ``AUDIT_CHECKPOINT_DIR/checkpoints.jsonl``, one JSON object a line, opened
with O_APPEND and fsynced; every ``*.jsonl`` file of the directory is read back when verifying.
"""

import base64
import binascii
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from .chain import canonical_json, merkle_leaves, merkle_root, utc_text

logger = logging.getLogger(__name__)

CHECKPOINT_PREFIX = b"sangkien/audit-checkpoint/v1\n"
CHECKPOINT_PREFIX_V2 = b"sangkien/audit-checkpoint/v2\n"
CHECKPOINT_FILE = "checkpoints.jsonl"


class AuditRefused(Exception):
    """A checkpoint cannot be made: no key, no directory, a broken trail. ``code`` is for the API."""

    def __init__(self, detail: str, code: str):
        self.detail, self.code = detail, code
        super().__init__(detail)


# keys ------------------------------------------------------------------------------------------


def _b64decode(text: str) -> bytes:
    text = "".join(text.split())
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError("not base64") from e


def parse_private_key(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 key")
        return key
    raw = _b64decode(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key as PEM or base64 of the raw 32 bytes; a private key gives its public part."""
    text = text.strip()
    if text.startswith("-----BEGIN") and "PRIVATE" in text:
        return parse_private_key(text).public_key()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 key")
        return key
    raw = _b64decode(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_raw(key)).hexdigest()[:16]


def public_text(key: Ed25519PublicKey) -> str:
    """The public key as base64 of its raw bytes: what AUDIT_VERIFY_KEYS and --public-key take."""
    return base64.b64encode(public_raw(key)).decode()


def _dev_key(create: bool) -> Ed25519PrivateKey | None:
    path = Path(settings.AUDIT_DEV_KEY_FILE)
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
    return parse_private_key(path.read_text())


def signing_key() -> Ed25519PrivateKey:
    """The key that signs checkpoints, or ``AuditRefused`` saying what is missing."""
    if settings.AUDIT_SIGNING_KEY:
        try:
            return parse_private_key(settings.AUDIT_SIGNING_KEY)
        except (ValueError, TypeError) as e:
            raise AuditRefused(
                _(
                    "Khóa ký mốc kiểm toán (AUDIT_SIGNING_KEY) không đọc được: cần một khóa Ed25519 "
                    "dạng PEM hoặc 32 byte mã hóa base64"
                ),
                code="signing_key_invalid",
            ) from e
    if settings.DEBUG:
        return _dev_key(create=True)
    raise AuditRefused(
        _("Chưa cấu hình khóa ký mốc kiểm toán (AUDIT_SIGNING_KEY): không thể tạo mốc"),
        code="signing_key_missing",
    )


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """key_id → public key: AUDIT_VERIFY_KEYS and the current signing key's public part."""
    keys = {}
    for text in settings.AUDIT_VERIFY_KEYS:
        if text.strip():
            try:
                key = parse_public_key(text)
            except (ValueError, TypeError):
                # not trusted, so what it signed fails as "untrusted key": visible, never a 500
                logger.error("AUDIT_VERIFY_KEYS holds an entry that is not an Ed25519 public key")
                continue
            keys[key_id(key)] = key
    current = None
    try:
        if settings.AUDIT_SIGNING_KEY:
            current = parse_private_key(settings.AUDIT_SIGNING_KEY)
        elif settings.DEBUG:
            current = _dev_key(create=False)
    except (ValueError, TypeError):
        current = None  # a bad signing key is reported when a checkpoint is made
    if current is not None:
        keys[key_id(current.public_key())] = current.public_key()
    return keys


# checkpoints -----------------------------------------------------------------------------------


@dataclass
class SignedCheckpoint:
    seq: int
    hash: str
    at: str  # UTC, microseconds, "Z": exactly as signed
    key_id: str
    signature: str  # base64 of the 64-byte Ed25519 signature
    scopes: dict = field(default_factory=dict)  # format 2: every chain's head {key: [n, hash, seq]}
    label: str = ""  # where it was read: "database #12", "…/checkpoints.jsonl:3"
    version: int = 1
    tree_size: int | None = None  # format 2: the Merkle tree's leaves
    legacy: list = field(default_factory=list)  # format 2: the closed global chain's end [seq, hash]

    def identity(self):
        return (self.seq, self.hash, self.at, self.key_id, self.signature)

    def chains(self) -> dict:
        """{key: (n, hash)}: each scope's head this checkpoint vouches for."""
        return {k: (v[0], v[1]) for k, v in self.scopes.items()}

    def legacy_end(self) -> tuple[int, str]:
        """(seq, hash): where it says the global chain of formats 1 and 2 ends (or ended)."""
        if self.version >= 2:
            return (int(self.legacy[0]), str(self.legacy[1])) if self.legacy else (0, "")
        return self.seq, self.hash

    def as_json(self) -> dict:
        data = {
            "v": self.version,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "key_id": self.key_id,
            "scopes": self.scopes,
            "signature": self.signature,
        }
        if self.version >= 2:
            data["tree_size"] = self.tree_size
            data["legacy"] = self.legacy
        return data

    def line(self) -> str:
        return json.dumps(self.as_json(), sort_keys=True, separators=(",", ":")) + "\n"


def normal_scopes(scopes: dict, version: int = 1) -> dict:
    if version >= 2:
        return {str(k): [int(v[0]), str(v[1]), int(v[2])] for k, v in (scopes or {}).items()}
    return {str(k): [int(v[0]), str(v[1])] for k, v in (scopes or {}).items()}


def heads_root(legacy, scopes) -> tuple[str, int]:
    """(Merkle root, leaves) over the global chain's end and the chains' heads (format 2)."""
    leaves = merkle_leaves(tuple(legacy) if legacy else (0, ""), {k: tuple(v) for k, v in scopes.items()})
    return merkle_root(leaves), len(leaves)


def checkpoint_message_v2(*, root: str, size: int, seq: int, at: str, key_id: str) -> bytes:
    body = {"at": at, "key_id": key_id, "root": root, "seq": int(seq), "size": int(size)}
    return CHECKPOINT_PREFIX_V2 + canonical_json(body)


def checkpoint_sign_heads(*, key: Ed25519PrivateKey, legacy, heads: dict, at: datetime) -> SignedCheckpoint:
    """Sign the Merkle tree head over ``legacy`` = (seq, hash) and ``heads`` = {key: (n, hash, seq)}."""
    kid = key_id(key.public_key())
    at_text = utc_text(at)
    scopes = normal_scopes({k: v for k, v in heads.items() if v[0]}, 2)
    legacy = [int(legacy[0]), str(legacy[1])]
    root, size = heads_root(legacy, scopes)
    seq = max([legacy[0], *(v[2] for v in scopes.values())])
    message = checkpoint_message_v2(root=root, size=size, seq=seq, at=at_text, key_id=kid)
    signature = base64.b64encode(key.sign(message)).decode()
    return SignedCheckpoint(seq, root, at_text, kid, signature, scopes, version=2, tree_size=size, legacy=legacy)


def checkpoint_message(*, seq: int, hash: str, at: str, key_id: str, scopes: dict) -> bytes:
    body = {"at": at, "hash": hash, "key_id": key_id, "scopes": normal_scopes(scopes), "seq": int(seq)}
    return CHECKPOINT_PREFIX + canonical_json(body)


def checkpoint_sign(*, key: Ed25519PrivateKey, seq: int, hash: str, at: datetime, scopes: dict) -> SignedCheckpoint:
    kid = key_id(key.public_key())
    at_text = utc_text(at)
    message = checkpoint_message(seq=seq, hash=hash, at=at_text, key_id=kid, scopes=scopes)
    signature = base64.b64encode(key.sign(message)).decode()
    return SignedCheckpoint(seq, hash, at_text, kid, signature, normal_scopes(scopes))


def checkpoint_problem(cp: SignedCheckpoint, keys: dict) -> tuple[str, str] | None:
    """(code, reason) when a checkpoint's signature does not hold under the trusted keys."""
    key = keys.get(cp.key_id)
    if key is None:
        return "checkpoint_unknown_key", _(
            "Mốc %(checkpoint)s được ký bằng một khóa không được tin cậy (%(key_id)s)"
        ) % {"checkpoint": cp.label, "key_id": cp.key_id}
    try:
        if cp.version >= 2:
            message = checkpoint_message_v2(
                root=cp.hash, size=cp.tree_size or 0, seq=cp.seq, at=cp.at, key_id=cp.key_id
            )
        else:
            message = checkpoint_message(seq=cp.seq, hash=cp.hash, at=cp.at, key_id=cp.key_id, scopes=cp.scopes)
        key.verify(_b64decode(cp.signature), message)
    except (InvalidSignature, ValueError, TypeError, IndexError):
        return "checkpoint_bad_signature", _("Chữ ký của mốc %(checkpoint)s không hợp lệ") % {"checkpoint": cp.label}
    if cp.version >= 2:
        try:
            root, size = heads_root(cp.legacy, cp.scopes)
        except (ValueError, TypeError, IndexError):
            root, size = None, None
        if (root, size) != (cp.hash, cp.tree_size):
            return "checkpoint_bad_root", _(
                "Các đầu chuỗi đi kèm mốc %(checkpoint)s không cho ra gốc Merkle đã ký: chúng đã bị sửa"
            ) % {"checkpoint": cp.label}
    return None


def checkpoint_from_row(row) -> SignedCheckpoint:
    return SignedCheckpoint(
        row.seq,
        row.hash,
        utc_text(row.at),
        row.key_id,
        row.signature,
        row.scopes or {},
        _("cơ sở dữ liệu #%(id)s") % {"id": row.pk},
        version=row.version or 1,
        tree_size=row.tree_size,
        legacy=list(row.legacy or []),
    )


def checkpoint_from_json(data, label: str) -> SignedCheckpoint:
    """Raises ValueError when ``data`` is not a checkpoint."""
    if not isinstance(data, dict) or data.get("v") not in (1, 2):
        raise ValueError("not a checkpoint")
    version = data["v"]
    try:
        cp = SignedCheckpoint(
            int(data["seq"]),
            str(data["hash"]),
            str(data["at"]),
            str(data["key_id"]),
            str(data["signature"]),
            normal_scopes(data.get("scopes") or {}, version),
            label,
            version=version,
        )
        if version >= 2:
            cp.tree_size = int(data["tree_size"])
            legacy = data["legacy"]
            cp.legacy = [int(legacy[0]), str(legacy[1])]
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise ValueError("not a checkpoint") from e
    return cp


# the directory outside the database -------------------------------------------------------------


def checkpoint_dir() -> Path | None:
    """AUDIT_CHECKPOINT_DIR; with DEBUG on and none set, a directory under var/ for this database
    (so a throw-away database never meets another one's checkpoints)."""
    if settings.AUDIT_CHECKPOINT_DIR:
        return Path(settings.AUDIT_CHECKPOINT_DIR)
    if settings.DEBUG:
        db = connection.settings_dict
        ident = "|".join(str(db.get(k) or "") for k in ("ENGINE", "HOST", "PORT", "NAME"))
        return Path(settings.AUDIT_DEV_CHECKPOINT_ROOT) / hashlib.sha256(ident.encode()).hexdigest()[:12]
    return None


def checkpoint_append(cp: SignedCheckpoint, directory: Path) -> Path:
    """Append one line to the external file: O_APPEND (never rewrites), one write, fsync."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CHECKPOINT_FILE
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        data = cp.line().encode()
        written = os.write(fd, data)
        if written != len(data):
            raise OSError("short write")
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def read_checkpoint_file(path: Path):
    """Yield ``SignedCheckpoint`` or, for a line that is not one, ``(label, None)``."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            label = f"{path}:{number}"
            try:
                yield checkpoint_from_json(json.loads(line), label)
            except ValueError:
                yield (label, None)


def external_files(directory: Path | None) -> list[Path]:
    if directory is None or not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix == ".jsonl" and p.is_file())


def last_external_checkpoint(directory: Path | None) -> SignedCheckpoint | None:
    """The last line of the current external file (read from its end, not the whole file)."""
    if directory is None:
        return None
    path = directory / CHECKPOINT_FILE
    if not path.is_file():
        return None
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 256 * 1024))
        lines = [line for line in f.read().splitlines() if line.strip()]
    if not lines:
        return None
    try:
        return checkpoint_from_json(json.loads(lines[-1]), f"{path}:last")
    except ValueError:
        return None
