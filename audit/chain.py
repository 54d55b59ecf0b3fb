"""The hash formats of the trail and the checks every walk over it shares.

Format 2 (since issue 8) hashes everything any page, list or mail shows of an entry: who acted
(the user's id, username and the name shown), when, on what, the action, the states, comment,
details, version, its organisation path, and both links: to the previous entry of the whole
trail (``prev_hash``) and to the previous entry of its scope (``scope_seq``, ``scope_prev``).
Format 1 (the entries written before) is kept byte for byte and still checked as it was; an
entry's format is itself hashed (format 2) and may never go down along the chain.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.utils.translation import gettext as _

HASH_V1 = 1
HASH_V2 = 2
CURRENT_HASH_VERSION = HASH_V2

# A scope is the first two levels of an organisation's materialised path (treebeard, 4 characters
# a level): a sector union or a provincial federation with all it holds. Entries higher up
# (the federation itself) form their own small scope; entries with no organisation the scope "".
# Part of format 2 (each entry's scope_key is checked against it): changing it needs a format 3.
SCOPE_KEY_LENGTH = 8

HASHED_FIELDS_V1 = (
    "seq",
    "at",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "scope_path",
    "from_state",
    "to_state",
    "version",
    "comment",
    "details",
    "prev_hash",
)

HASHED_FIELDS = (
    "hash_version",
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "actor_display_name",
    "action",
    "object_type",
    "object_id",
    "scope_path",
    "scope_key",
    "scope_seq",
    "scope_prev",
    "from_state",
    "to_state",
    "version",
    "comment",
    "details",
    "prev_hash",
)

# every column a verification reads
ENTRY_FIELDS = ("id", "hash", *HASHED_FIELDS)

ENTRY_PREFIX_V2 = b"sangkien/audit-entry/v2\n"


def scope_key_of(scope_path: str) -> str:
    return (scope_path or "")[:SCOPE_KEY_LENGTH]


def utc_text(at) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(content) -> bytes:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_digest(values: dict) -> str:
    """sha256 over the canonical JSON of an entry's hashed fields, in the entry's own format
    (``values["hash_version"]``; without it, format 1)."""
    version = values.get("hash_version") or HASH_V1
    if version == HASH_V1:
        content = {f: values[f] for f in HASHED_FIELDS_V1}
        content["at"] = utc_text(content["at"])
        return hashlib.sha256(canonical_json(content)).hexdigest()
    if version == HASH_V2:
        content = {f: values[f] for f in HASHED_FIELDS}
        content["at"] = utc_text(content["at"])
        return hashlib.sha256(ENTRY_PREFIX_V2 + canonical_json(content)).hexdigest()
    raise ValueError(f"unknown audit hash format {version}")


@dataclass
class Failure:
    """Why a verification failed: the first bad entry (its id, or None when it is gone) and seq."""

    seq: int | None
    entry_id: int | None
    code: str
    reason: str


def entry_problem(e: dict) -> tuple[str, str] | None:
    """(code, reason) when an entry is bad on its own: unknown format, content not matching its
    hash, scope key not its organisation's."""
    if e["hash_version"] not in (HASH_V1, HASH_V2):
        return "unknown_format", _("Mục có định dạng băm không xác định (%(version)s)") % {"version": e["hash_version"]}
    if entry_digest(e) != e["hash"]:
        return "hash_mismatch", _("Nội dung mục không khớp với mã băm của nó")
    if e["hash_version"] >= HASH_V2 and e["scope_key"] != scope_key_of(e["scope_path"]):
        return "scope_key_mismatch", _("Khóa phạm vi của mục không khớp với tổ chức của nó")
    return None


class ChainWalk:
    """Feed entries in ``seq`` order from a known point (the start of the trail, or a checkpoint):
    checks numbering, links, formats, hashes, the scope links and the checkpoints' hashes."""

    def __init__(self, *, seq=0, hash="", version=HASH_V1, scopes=None, expected=None):
        self.seq, self.hash, self.version = seq, hash, version
        self.scopes = {k: (v[0], v[1]) for k, v in (scopes or {}).items()}
        self.expected = expected or {}  # seq -> [(hash, label)] from signed checkpoints
        self.checked = 0
        self.last_id = None

    def feed(self, e: dict) -> Failure | None:
        self.checked += 1

        def fail(code, reason):
            return Failure(e["seq"], e["id"], code, reason)

        if e["seq"] != self.seq + 1:
            return fail("missing_entry", _("Mục #%(seq)s, ngay trước mục này, bị thiếu") % {"seq": self.seq + 1})
        if e["prev_hash"] != self.hash:
            return fail("broken_link", _("Mục này không nối với mục liền trước nó"))
        problem = entry_problem(e)
        if problem:
            return fail(*problem)
        if e["hash_version"] < self.version:
            return fail("format_downgrade", _("Mục dùng định dạng băm cũ hơn mục trước nó"))
        if e["hash_version"] >= HASH_V2:
            n, h = self.scopes.get(e["scope_key"], (0, ""))
            if e["scope_seq"] != n + 1 or e["scope_prev"] != h:
                return fail("scope_link", scope_link_reason(n + 1))
            self.scopes[e["scope_key"]] = (e["scope_seq"], e["hash"])
        for expected_hash, label in self.expected.get(e["seq"], ()):
            if e["hash"] != expected_hash:
                return fail("checkpoint_mismatch", checkpoint_mismatch_reason(label))
        self.seq, self.hash, self.version, self.last_id = e["seq"], e["hash"], e["hash_version"], e["id"]
        return None


def scope_link_reason(n) -> str:
    return _("Mục thứ %(n)s trước đó của cùng phạm vi bị thiếu hoặc bị thay") % {"n": n}


def checkpoint_mismatch_reason(label) -> str:
    return _("Mục không khớp với mốc đã ký %(checkpoint)s: chuỗi đã bị viết lại ở mục này hoặc trước đó") % {
        "checkpoint": label
    }


def checkpoint_beyond_reason(label, seq, last) -> str:
    return _("Mốc đã ký %(checkpoint)s xác nhận mục #%(seq)s nhưng chuỗi chỉ còn đến #%(last)s: chuỗi đã bị cắt") % {
        "checkpoint": label,
        "seq": seq,
        "last": last,
    }
