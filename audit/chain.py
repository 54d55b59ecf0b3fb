"""The hash formats of the trail and the checks every walk over it shares.

Format 2 (since issue 8) hashes everything any page, list or mail shows of an entry: who acted
(the user's id, username and the name shown), when, on what, the action, the states, comment,
details, version, its organisation path, and both links: to the previous entry of the whole
trail (``prev_hash``) and to the previous entry of its scope (``scope_seq``, ``scope_prev``).
Format 1 (the entries written before) is kept byte for byte and still checked as it was; an
entry's format is itself hashed (format 2) and may never go down along the chain.

Format 3 (issue 12) drops the one global chain, which made every append in the country wait for
one locked row: each scope (an affiliate, ``scope_key``) is a chain of its own with its own head
row (``AuditChain``), locked only by appends to that scope. The hashed fields are those of format
2 under another prefix; ``prev_hash`` is the hash of the previous entry *of the same chain* (equal
to ``scope_prev``; "" for a chain's first entry) and ``seq`` a global number taken from a database
sequence after the chain's lock (increasing along each chain; gaps where a transaction rolled
back; it orders the trail pages, it is not a link). The entries of formats 1 and 2 form the old
global chain, now closed: its end stays in ``AuditHead``; a scope's first format-3 entry links to
that scope's last format-2 entry, and a format-2 entry never follows a format-3 one on a chain.
The signed checkpoints commit to every chain's head at once through a Merkle tree (``merkle_root``).

``entry_link`` is "hash this entry given its predecessor": what ``audit_record`` and a bulk writer
(``generate_load``) both call.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.utils.translation import gettext as _

HASH_V1 = 1
HASH_V2 = 2
HASH_V3 = 3
CURRENT_HASH_VERSION = HASH_V3
HASH_VERSIONS = (HASH_V1, HASH_V2, HASH_V3)

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
ENTRY_PREFIX_V3 = b"sangkien/audit-entry/v3\n"


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
    if version in (HASH_V2, HASH_V3):
        content = {f: values[f] for f in HASHED_FIELDS}
        content["at"] = utc_text(content["at"])
        prefix = ENTRY_PREFIX_V2 if version == HASH_V2 else ENTRY_PREFIX_V3
        return hashlib.sha256(prefix + canonical_json(content)).hexdigest()
    raise ValueError(f"unknown audit hash format {version}")


def entry_text_format_v3() -> tuple[str, tuple[str, ...]]:
    """Format 3's hashed text with holes, for a bulk writer that fills them itself (``generate_load``:
    millions of entries, no dict per entry): ``(fmt, fields)`` such that ``ENTRY_PREFIX_V3 +
    fmt.format(*(json_of(values[f]) for f in fields)).encode()`` is exactly what ``entry_digest``
    hashes for a format-3 entry, where ``json_of`` is ``canonical_json`` as text (``at`` as
    ``utc_text``). Made by ``canonical_json`` itself from an entry of placeholders, so the key order
    and separators are its own (tests/audit compare the two)."""
    fields = tuple(f for f in HASHED_FIELDS if f != "hash_version")
    marks = {f: f"\x01{i}\x01" for i, f in enumerate(fields)}
    text = canonical_json({**marks, "hash_version": HASH_V3}).decode()
    text = text.replace("{", "{{").replace("}", "}}")
    order = []
    for i, f in sorted(enumerate(fields), key=lambda p: text.index(f"\\u0001{p[0]}\\u0001")):
        text = text.replace(f'"\\u0001{i}\\u0001"', "{}")
        order.append(f)
    return text, tuple(order)


def entry_link(values: dict, *, prev_n: int = 0, prev_hash: str = "") -> dict:
    """Format 3: chain ``values`` after its predecessor on its scope's chain — the entry number
    ``prev_n`` with hash ``prev_hash`` (0 and "" for a chain's first entry) — and hash it.

    ``values`` holds ``seq`` (a number from the sequence, ``entry_seq_next``, above the old chain's
    end), ``at`` (aware datetime), ``actor_id`` (or None), ``actor_name``, ``actor_display_name``,
    ``action``, ``object_type``, ``object_id`` (str), ``scope_path``, ``from_state``, ``to_state``,
    ``version`` (int or None), ``comment``, ``details`` (JSON-ready dict). Sets ``hash_version``,
    ``scope_key``, ``scope_seq`` (= prev_n + 1), ``scope_prev`` and ``prev_hash`` (= prev_hash) and
    ``hash``; returns ``values``. The chain's head is then ``(scope_seq, hash, seq)``."""
    values["hash_version"] = HASH_V3
    values["scope_key"] = scope_key_of(values["scope_path"])
    values["scope_seq"] = prev_n + 1
    values["scope_prev"] = prev_hash
    values["prev_hash"] = prev_hash
    values["hash"] = entry_digest(values)
    return values


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
    if e["hash_version"] not in HASH_VERSIONS:
        return "unknown_format", _("Mục có định dạng băm không xác định (%(version)s)") % {"version": e["hash_version"]}
    if entry_digest(e) != e["hash"]:
        return "hash_mismatch", _("Nội dung mục không khớp với mã băm của nó")
    if e["hash_version"] >= HASH_V2 and e["scope_key"] != scope_key_of(e["scope_path"]):
        return "scope_key_mismatch", _("Khóa phạm vi của mục không khớp với tổ chức của nó")
    if e["hash_version"] >= HASH_V3 and e["prev_hash"] != e["scope_prev"]:
        return "broken_link", _("Mục này không nối với mục liền trước nó")
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


class ScopeWalk:
    """Feed one scope's entries (formats 2 and 3) in ``scope_seq`` order from a known point (its
    start, or a checkpoint's head of it): numbering without a gap, links to the predecessor,
    hashes, formats never going down, entry numbers increasing (format 3), the checkpoints' heads."""

    def __init__(self, key, *, n=0, hash="", version=HASH_V2, seq=0, expected=None):
        self.key, self.n, self.hash, self.version, self.seq = key, n, hash, version, seq
        self.expected = expected or {}  # n -> [(hash, label, seq or None)]
        self.checked = 0
        self.last_id = None

    def feed(self, e: dict) -> Failure | None:
        self.checked += 1

        def fail(code, reason):
            return Failure(e["seq"], e["id"], code, reason)

        problem = entry_problem(e)
        if problem:
            return fail(*problem)
        if e["hash_version"] < self.version:
            return fail("format_downgrade", _("Mục dùng định dạng băm cũ hơn mục trước nó"))
        if e["scope_seq"] != self.n + 1 or e["scope_prev"] != self.hash:
            return fail("scope_link", scope_link_reason(self.n + 1))
        if e["hash_version"] >= HASH_V3 and e["seq"] <= self.seq:
            return fail("out_of_order", _("Số thứ tự của mục không lớn hơn số của mục trước nó trong chuỗi"))
        for expected_hash, label, *_seq in self.expected.get(e["scope_seq"], ()):
            if e["hash"] != expected_hash:
                return fail("checkpoint_mismatch", checkpoint_mismatch_reason(label))
        self.n, self.hash, self.version, self.seq, self.last_id = (
            e["scope_seq"],
            e["hash"],
            e["hash_version"],
            e["seq"],
            e["id"],
        )
        return None

    def end(self, head) -> Failure | None:
        """After the last entry: the checkpoints vouch for nothing beyond it, and the head row
        ``head`` = (n, hash, seq) or None names exactly it."""
        if head is not None and head[0] > self.n:
            reason = _(
                "Phạm vi %(scope)s dừng ở mục thứ %(last)s nhưng đầu chuỗi ghi %(head)s: các mục mới nhất đã bị xóa"
            ) % {"scope": self.key, "last": self.n, "head": head[0]}
            return Failure(head[2] if len(head) > 2 and head[2] else None, None, "tail_cut", reason)
        beyond = sorted((m, item[1], item[2:]) for m, items in self.expected.items() if m > self.n for item in items)
        if beyond:
            m, label, seq = beyond[0]
            reason = _(
                "Mốc đã ký %(checkpoint)s xác nhận %(n)s mục của phạm vi %(scope)s nhưng chỉ còn %(last)s: đã bị xóa"
            ) % {"checkpoint": label, "n": m, "scope": self.key, "last": self.n}
            return Failure(seq[0] if seq and seq[0] else None, None, "checkpoint_beyond", reason)
        if (head or (0, ""))[:2] != (self.n, self.hash) or (
            head is not None and len(head) > 2 and self.version >= HASH_V3 and head[2] != self.seq
        ):
            reason = _("Đầu của phạm vi %(scope)s không khớp với mục cuối của nó") % {"scope": self.key}
            return Failure(self.seq or None, self.last_id, "head_mismatch", reason)
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


# The Merkle tree over the chains' heads (RFC 6962 / 9162, as Certificate Transparency's signed tree
# head): a checkpoint signs its root, so one signature commits to the end of every chain, and one
# chain's head can be proved to be in a signed root with log2(chains) hashes (``merkle_path``).

LEGACY_LEAF = "legacy"
CHAIN_LEAF = "chain"


def legacy_leaf(seq: int, hash: str) -> bytes:
    """The leaf of the closed global chain of formats 1 and 2: its end (``AuditHead``)."""
    return canonical_json([LEGACY_LEAF, int(seq), str(hash)])


def chain_leaf(key: str, n: int, hash: str, seq: int) -> bytes:
    """The leaf of one chain: its key, how many entries it holds, its last entry's hash and seq."""
    return canonical_json([CHAIN_LEAF, str(key), int(n), str(hash), int(seq)])


def merkle_leaves(legacy, heads: dict) -> list[bytes]:
    """The leaves in their fixed order: the closed global chain ``legacy`` = (seq, hash) first,
    then every chain ``heads`` = {key: (n, hash, seq)} in key order (chains with no entry left out)."""
    leaves = [legacy_leaf(*legacy)]
    for key in sorted(heads):
        n, h, s = heads[key]
        if n:
            leaves.append(chain_leaf(key, n, h, s))
    return leaves


def _leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return _leaf_hash(leaves[0])
    k = _split(len(leaves))
    return _node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def merkle_root(leaves: list[bytes]) -> str:
    """RFC 6962 Merkle tree hash of ``leaves``, in hex."""
    return _mth(leaves).hex()


def merkle_path(leaves: list[bytes], index: int) -> list[str]:
    """The audit path of leaf ``index`` (RFC 6962 PATH): the sibling hashes, leaf level first."""

    def path(m, d):
        if len(d) <= 1:
            return []
        k = _split(len(d))
        if m < k:
            return path(m, d[:k]) + [_mth(d[k:])]
        return path(m - k, d[k:]) + [_mth(d[:k])]

    return [h.hex() for h in path(index, leaves)]


def merkle_verify(leaf: bytes, index: int, size: int, path: list[str], root: str) -> bool:
    """Whether ``leaf`` is leaf ``index`` of a tree of ``size`` leaves with ``root`` (RFC 9162,
    2.1.3.2): what an auditor of one affiliate checks with a signed root and nothing else."""
    if index < 0 or index >= size:
        return False
    fn, sn, r = index, size - 1, _leaf_hash(leaf)
    try:
        for p in path:
            p = bytes.fromhex(p)
            if sn == 0:
                return False
            if fn % 2 == 1 or fn == sn:
                r = _node_hash(p, r)
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
            else:
                r = _node_hash(r, p)
            fn, sn = fn >> 1, sn >> 1
    except ValueError:
        return False
    return sn == 0 and r.hex() == root
