"""Reading and verifying the trail.

``audit_verify()`` walks the closed global chain of formats 1 and 2 (numbering, links, hashes,
formats, scope links) and compares its end with ``AuditHead``; then walks every scope's chain
(``scope_key``, ``scope_seq`` order: numbering, links, hashes, formats, increasing entry numbers)
and compares each chain's end with its head row (``AuditChain``); and compares every signed
checkpoint (in the database and in the external directory) with the trail: its signature, its
Merkle root recomputed from the heads it carries, the entry at each chain head it names.
``audit_verify(scope_path=…)`` walks only the chains of the scopes that hold that subtree, the
entries hashed before issue 8 (format 1, a fixed set), and looks up the one entry at the old
global head and at each checkpoint's old-chain end."""

import multiprocessing
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, connections
from django.db.models import F
from django.utils.translation import gettext as _

from .chain import (
    ENTRY_FIELDS,
    HASH_V1,
    HASH_V2,
    HASH_V3,
    SCOPE_KEY_LENGTH,
    ChainWalk,
    Failure,
    ScopeWalk,
    checkpoint_beyond_reason,
    checkpoint_mismatch_reason,
    scope_key_of,
)
from .models import AuditChain, AuditCheckpoint, AuditEntry, AuditHead
from .signing import (
    checkpoint_dir,
    checkpoint_from_row,
    checkpoint_problem,
    external_files,
    key_id,
    read_checkpoint_file,
    trusted_keys,
)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad: int | None = None
    reason: str = ""
    code: str = ""
    first_bad_seq: int | None = None
    checkpoints_checked: int = 0

    def as_dict(self):
        data = {"ok": self.ok, "checked": self.checked, "checkpoints_checked": self.checkpoints_checked}
        if not self.ok:
            data["first_bad"] = self.first_bad  # null when the bad entry was removed
            data["first_bad_seq"] = self.first_bad_seq
            data["code"] = self.code
            data["reason"] = self.reason
        return data


@dataclass
class _Checkpoints:
    count: int = 0
    problems: list = field(default_factory=list)  # (code, reason) of checkpoints that do not hold
    by_seq: dict = field(default_factory=lambda: defaultdict(list))  # seq -> [(hash, label)]
    # key -> n -> [(hash, label, seq)]: format 2's chain heads (and format 1's scope heads, for a
    # scoped verify, which does not walk the old global chain that vouches for them)
    by_scope: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))


def _checkpoint_sources(*, files, use_database, use_directory):
    if use_database:
        for row in AuditCheckpoint.objects.order_by("seq", "id").iterator(chunk_size=500):
            yield checkpoint_from_row(row)
    paths = [Path(p) for p in files]
    if use_directory:
        paths += external_files(checkpoint_dir())
    for path in paths:
        yield from read_checkpoint_file(path)


def _gather(sources, keys, want_scope) -> _Checkpoints:
    """Check every checkpoint's signature (each distinct checkpoint once) and keep what the walk
    compares: the hash at each seq, and each wanted scope's head."""
    out, seen = _Checkpoints(), set()
    for cp in sources:
        if isinstance(cp, tuple):
            out.count += 1
            out.problems.append(
                ("checkpoint_malformed", _("%(checkpoint)s không phải là một mốc kiểm toán") % {"checkpoint": cp[0]})
            )
            continue
        if cp.identity() in seen:
            continue
        seen.add(cp.identity())
        out.count += 1
        problem = checkpoint_problem(cp, keys)
        if problem:
            out.problems.append(problem)
            continue
        legacy_seq, legacy_hash = cp.legacy_end()
        if legacy_seq > 0:
            out.by_seq[legacy_seq].append((legacy_hash, cp.label))
        for k, v in cp.scopes.items():
            if want_scope(k, cp.version):
                out.by_scope[k][v[0]].append((v[1], cp.label, v[2] if len(v) > 2 else None))
    return out


def _head():
    head = AuditHead.objects.filter(pk=1).values("seq", "hash", "scopes").first()
    if head is None:
        head = {"seq": 0, "hash": "", "scopes": {}}
    head["scopes"] = {k: (v[0], v[1]) for k, v in (head["scopes"] or {}).items()}
    # every chain's head row (format 3): key -> (n, hash, seq)
    head["chains"] = {k: (n, h, s) for k, n, h, s in AuditChain.objects.values_list("key", "n", "hash", "seq")}
    return head


def _earliest(failures):
    failures = [f for f in failures if f is not None]
    if not failures:
        return None
    return min(failures, key=lambda f: (f.seq is None, f.seq or 0))


def _legacy_actor_problem():
    """Format 1 never hashed the actor's foreign key: it must still name the user whose username
    was hashed."""
    e = (
        AuditEntry.objects.filter(hash_version=HASH_V1, actor__isnull=False)
        .exclude(actor__username=F("actor_name"))
        .order_by("seq")
        .values("id", "seq")
        .first()
    )
    if e is None:
        return None
    return Failure(
        e["seq"], e["id"], "actor_mismatch", _("Người thực hiện không còn khớp với tên đăng nhập đã ghi của mục")
    )


def _cut(seq, last, head_seq):
    return Failure(
        seq,
        None,
        "tail_cut",
        _("Chuỗi dừng ở mục #%(last)s nhưng đầu chuỗi ghi #%(head)s: các mục mới nhất đã bị xóa")
        % {"last": last, "head": head_seq},
    )


def _head_mismatch(seq, entry_id, head_seq, last):
    return Failure(
        seq,
        entry_id,
        "head_mismatch",
        _("Đầu chuỗi (#%(head)s) không khớp với mục cuối của chuỗi (#%(last)s)") % {"head": head_seq, "last": last},
    )


def _verify_all(head, cps, chunk, workers=1):
    # the closed global chain of formats 1 and 2
    walk = ChainWalk(expected=cps.by_seq)
    failure = None
    legacy = AuditEntry.objects.filter(hash_version__lt=HASH_V3).order_by("seq").values(*ENTRY_FIELDS)
    for e in legacy.iterator(chunk_size=chunk):
        if e["seq"] > head["seq"]:  # the closed chain never grows: a newer entry passed off as old
            failure = Failure(e["seq"], e["id"], "format_downgrade", _("Mục dùng định dạng băm cũ hơn mục trước nó"))
            break
        failure = walk.feed(e)
        if failure:
            break
    if failure is None:
        beyond = [(s, label) for s, items in cps.by_seq.items() if s > walk.seq for _h, label in items]
        if head["seq"] > walk.seq:
            failure = _cut(walk.seq + 1, walk.seq, head["seq"])
        elif beyond:
            s, label = min(beyond)
            failure = Failure(walk.seq + 1, None, "checkpoint_beyond", checkpoint_beyond_reason(label, s, walk.seq))
        elif head["seq"] < walk.seq:
            after = AuditEntry.objects.filter(seq=head["seq"] + 1).values_list("id", flat=True).first()
            failure = _head_mismatch(head["seq"] + 1, after, head["seq"], walk.seq)
        elif head["hash"] != walk.hash or head["scopes"] != walk.scopes:
            failure = _head_mismatch(walk.seq, walk.last_id, head["seq"], walk.seq)
    legacy_failure = failure
    # every scope's chain (its format-2 entries again, as the start of that chain), to its head row
    failures, scoped, seen = _scope_walks_parallel(head["chains"], cps.by_scope, chunk, workers)
    checked = walk.checked + scoped
    for key in sorted((set(head["chains"]) | set(cps.by_scope)) - seen):
        failures.append(ScopeWalk(key, expected=cps.by_scope.get(key)).end(head["chains"].get(key)))
    return _earliest([legacy_failure, *failures, _legacy_actor_problem()]), checked


def _scope_walks(chains_head, by_scope, chunk, lo=None, hi=None):
    """Walk the scope chains whose key lies in [lo, hi) (None: unbounded), in (scope_key, scope_seq)
    order, each to its head row. Returns (failures, entries of format 3 checked, keys seen)."""
    chains = AuditEntry.objects.filter(hash_version__gte=HASH_V2)
    if lo is not None:
        chains = chains.filter(scope_key__gte=lo)
    if hi is not None:
        chains = chains.filter(scope_key__lt=hi)
    failures, checked, current, broken, seen = [], 0, None, None, set()
    for e in chains.order_by("scope_key", "scope_seq").values(*ENTRY_FIELDS).iterator(chunk_size=chunk):
        if current is None or e["scope_key"] != current.key:
            if current is not None and broken is None:
                failures.append(current.end(chains_head.get(current.key)))
            current, broken = ScopeWalk(e["scope_key"], expected=by_scope.get(e["scope_key"])), None
            seen.add(current.key)
        if e["hash_version"] >= HASH_V3:
            checked += 1
        if broken is None:
            broken = current.feed(e)
            failures.append(broken)
    if current is not None and broken is None:
        failures.append(current.end(chains_head.get(current.key)))
    return failures, checked, seen


def _key_ranges(chains_head, parts):
    """[lo, hi) ranges of scope keys holding about the same number of entries (the heads' counts):
    the first starts unbounded below and the last unbounded above, so a chain without a head row
    still falls in one of them."""
    keys = sorted(chains_head)
    total = sum(chains_head[k][0] for k in keys)
    if parts < 2 or len(keys) < 2 or not total:
        return [(None, None)]
    bounds, running, step = [], 0, total / parts
    for k in keys:
        if running >= step * (len(bounds) + 1) and len(bounds) < parts - 1:
            bounds.append(k)
        running += chains_head[k][0]
    edges = [None, *bounds, None]
    return list(zip(edges[:-1], edges[1:], strict=False))


_FORKED = {}  # what a forked walker reads: set just before the pool forks (nothing is pickled in)


def _scope_walk_child(lo, hi):
    s = _FORKED
    return _scope_walks(s["chains"], s["by_scope"], s["chunk"], lo, hi)


def _scope_walks_parallel(chains_head, by_scope, chunk, workers):
    """The scope chains walked by ``workers`` forked processes, each over a range of keys (PostgreSQL,
    outside a transaction: each child opens its own connection); otherwise in this process."""
    ranges = _key_ranges(chains_head, workers)
    if len(ranges) < 2 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return _scope_walks(chains_head, by_scope, chunk)
    connections.close_all()  # a child must not share this process's socket
    _FORKED.update(chains=chains_head, by_scope=by_scope, chunk=chunk)
    try:
        with ProcessPoolExecutor(max_workers=len(ranges), mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_scope_walk_child, *zip(*ranges, strict=True)))
    finally:
        _FORKED.clear()
    failures, checked, seen = [], 0, set()
    for part_failures, part_checked, part_seen in parts:
        failures += part_failures
        checked += part_checked
        seen |= part_seen
    return failures, checked, seen


def _in_scope(key: str, path: str) -> bool:
    """Whether scope ``key`` may hold entries of the subtree at ``path``: scopes inside it, or the
    full-length scope it lies in (a shorter key holds only entries of exactly that organisation)."""
    if not key:
        return False
    return key.startswith(path) or (len(key) == SCOPE_KEY_LENGTH and path.startswith(key))


def _walk_scope(key, head_entry, required, chunk):
    """One scope's chain from its first entry: numbering from 1, links, hashes, the checkpoints'
    heads of this scope, and its end against its head row."""
    walk = ScopeWalk(key, expected=required)
    qs = AuditEntry.objects.filter(scope_key=key).order_by("scope_seq").values(*ENTRY_FIELDS)
    while True:
        batch = list(qs.filter(scope_seq__gt=walk.n)[:chunk])
        if not batch:
            break
        for e in batch:
            failure = walk.feed(e)
            if failure:
                return failure, walk.checked
    return walk.end(head_entry), walk.checked


def _anchor_problems(head, by_seq):
    """The entry at the head's seq and at every checkpoint's seq: present, with that hash."""
    seqs = sorted({s for s in by_seq} | ({head["seq"]} if head["seq"] else set()))
    found = {}
    for i in range(0, len(seqs), 500):
        part = seqs[i : i + 500]
        found.update(
            {s: (pk, h) for s, pk, h in AuditEntry.objects.filter(seq__in=part).values_list("seq", "id", "hash")}
        )
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    failures = []
    for s in seqs:
        row = found.get(s)
        gone = last + 1 if last < s else s  # the first entry missing: the trail was cut there
        if s == head["seq"]:
            if row is None:
                failures.append(_cut(gone, last, head["seq"]))
            elif row[1] != head["hash"]:
                failures.append(_head_mismatch(s, row[0], head["seq"], last))
        for expected, label in by_seq.get(s, ()):
            if row is None:
                failures.append(Failure(gone, None, "checkpoint_beyond", checkpoint_beyond_reason(label, s, last)))
            elif row[1] != expected:
                failures.append(Failure(s, row[0], "checkpoint_mismatch", checkpoint_mismatch_reason(label)))
    return failures


def _verify_scope(path, head, cps, chunk):
    failures, checked = [], 0
    # the entries hashed before the upgrade carry no scope links: walk them as the one chain they are
    walk, failure = ChainWalk(), None
    legacy = AuditEntry.objects.filter(hash_version=HASH_V1).order_by("seq").values(*ENTRY_FIELDS)
    for e in legacy.iterator(chunk_size=chunk):
        failure = walk.feed(e)
        if failure:
            break
    checked += walk.checked
    failures.append(failure)
    if failure is None and walk.seq:
        after = (
            AuditEntry.objects.filter(seq=walk.seq + 1, hash_version=HASH_V2).values("id", "seq", "prev_hash").first()
        )
        if after is not None and after["prev_hash"] != walk.hash:
            failures.append(
                Failure(after["seq"], after["id"], "broken_link", _("Mục này không nối với mục liền trước nó"))
            )
    # the scopes that hold the subtree, each a chain of its own (also one with entries but no head)
    keys = set(head["chains"]) | set(cps.by_scope) | {scope_key_of(path)}
    prefix = path[:SCOPE_KEY_LENGTH]
    found = AuditEntry.objects.filter(scope_key__startswith=prefix, hash_version__gte=HASH_V2)
    keys |= set(found.values_list("scope_key", flat=True).distinct()) if len(prefix) < SCOPE_KEY_LENGTH else set()
    for key in sorted(k for k in keys if _in_scope(k, path)):
        failure, n = _walk_scope(key, head["chains"].get(key), cps.by_scope.get(key, {}), chunk)
        checked += n
        failures.append(failure)
    failures += _anchor_problems(head, cps.by_seq)
    failures.append(_legacy_actor_problem())
    return _earliest(failures), checked


def audit_verify(
    *,
    scope_path: str = "",
    checkpoint_files=(),
    public_keys=None,
    use_database_checkpoints: bool = True,
    use_checkpoint_dir: bool = True,
    chunk: int = 2000,
    workers: int = 1,
) -> VerifyResult:
    """Verify the trail (or the subtree at ``scope_path``) against its head and every checkpoint.

    By default the checkpoints are those in the database and in the external directory, trusted
    under AUDIT_VERIFY_KEYS and the current key. From outside the application, pass only
    ``checkpoint_files`` and ``public_keys`` (and turn the two other sources off). ``workers`` > 1
    walks the scope chains in that many forked processes, each over a range of chain keys
    (PostgreSQL outside a transaction; the same answer as one process)."""
    keys = trusted_keys() if public_keys is None else {key_id(k): k for k in public_keys}
    if scope_path:
        want = lambda k, version: _in_scope(k, scope_path)  # noqa: E731
    else:
        # format 1's scope heads are vouched for by the global chain's hash at its seq
        want = lambda k, version: version >= 2  # noqa: E731
    sources = _checkpoint_sources(
        files=checkpoint_files, use_database=use_database_checkpoints, use_directory=use_checkpoint_dir
    )
    cps = _gather(sources, keys, want)
    head = _head()
    if scope_path:
        failure, checked = _verify_scope(scope_path, head, cps, chunk)
    else:
        failure, checked = _verify_all(head, cps, chunk, workers)
    if failure is None and cps.problems:
        code, reason = cps.problems[0]
        failure = Failure(None, None, code, reason)
    if failure is None:
        return VerifyResult(True, checked, checkpoints_checked=cps.count)
    return VerifyResult(
        False,
        checked,
        first_bad=failure.entry_id,
        reason=str(failure.reason),
        code=failure.code,
        first_bad_seq=failure.seq,
        checkpoints_checked=cps.count,
    )


def audit_entries_for(*, object_type: str, object_id) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq"))


def audit_checkpoints():
    return AuditCheckpoint.objects.order_by("-seq", "-id")
