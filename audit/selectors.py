"""Reading and verifying the trail.

``audit_verify()`` walks the whole chain: numbering, links, hashes, formats, scope links; then
compares its end with the head row, and every signed checkpoint (in the database and in the
external directory) with the entry at its seq. ``audit_verify(scope_path=…)`` walks only the
scopes that hold that subtree (each a chain of its own, checked up to its head and to every
checkpoint's head of that scope), the entries hashed before the upgrade (format 1, a fixed
set), and looks up the one entry at the global head and at each checkpoint."""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import F
from django.utils.translation import gettext as _

from .chain import (
    ENTRY_FIELDS,
    HASH_V1,
    HASH_V2,
    SCOPE_KEY_LENGTH,
    ChainWalk,
    Failure,
    checkpoint_beyond_reason,
    checkpoint_mismatch_reason,
    entry_problem,
    scope_key_of,
    scope_link_reason,
)
from .models import AuditCheckpoint, AuditEntry, AuditHead
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
    by_scope: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))  # key -> n -> [...]


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
        if cp.seq > 0:
            out.by_seq[cp.seq].append((cp.hash, cp.label))
        for k, (n, h) in cp.scopes.items():
            if want_scope(k):
                out.by_scope[k][n].append((h, cp.label))
    return out


def _head():
    head = AuditHead.objects.filter(pk=1).values("seq", "hash", "scopes").first()
    if head is None:
        return {"seq": 0, "hash": "", "scopes": {}}
    head["scopes"] = {k: (v[0], v[1]) for k, v in (head["scopes"] or {}).items()}
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


def _verify_all(head, cps, chunk):
    walk = ChainWalk(expected=cps.by_seq)
    failure = None
    for e in AuditEntry.objects.order_by("seq").values(*ENTRY_FIELDS).iterator(chunk_size=chunk):
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
    return _earliest([failure, _legacy_actor_problem()]), walk.checked


def _in_scope(key: str, path: str) -> bool:
    """Whether scope ``key`` may hold entries of the subtree at ``path``: scopes inside it, or the
    full-length scope it lies in (a shorter key holds only entries of exactly that organisation)."""
    if not key:
        return False
    return key.startswith(path) or (len(key) == SCOPE_KEY_LENGTH and path.startswith(key))


def _walk_scope(key, head_entry, required, chunk):
    """One scope's chain from its first entry: numbering from 1, links, hashes, the checkpoints'
    heads of this scope, and its end against the head row."""
    n, h, last_id, checked = 0, "", None, 0
    qs = AuditEntry.objects.filter(scope_key=key).order_by("scope_seq").values(*ENTRY_FIELDS)
    while True:
        batch = list(qs.filter(scope_seq__gt=n)[:chunk])
        if not batch:
            break
        for e in batch:
            checked += 1
            problem = entry_problem(e)
            if problem:
                return Failure(e["seq"], e["id"], *problem), checked
            if e["hash_version"] < HASH_V2:
                return Failure(
                    e["seq"], e["id"], "format_downgrade", _("Mục dùng định dạng băm cũ hơn mục trước nó")
                ), checked
            if e["scope_seq"] != n + 1 or e["scope_prev"] != h:
                return Failure(e["seq"], e["id"], "scope_link", scope_link_reason(n + 1)), checked
            for expected, label in required.get(e["scope_seq"], ()):
                if e["hash"] != expected:
                    return Failure(e["seq"], e["id"], "checkpoint_mismatch", checkpoint_mismatch_reason(label)), checked
            n, h, last_id = e["scope_seq"], e["hash"], e["id"]
    beyond = sorted((m, label) for m, items in required.items() if m > n for _h, label in items)
    if beyond:
        m, label = beyond[0]
        reason = _(
            "Mốc đã ký %(checkpoint)s xác nhận %(n)s mục của phạm vi %(scope)s nhưng chỉ còn %(last)s: đã bị xóa"
        ) % {
            "checkpoint": label,
            "n": m,
            "scope": key,
            "last": n,
        }
        return Failure(None, None, "checkpoint_beyond", reason), checked
    if head_entry is not None and head_entry[0] > n:
        reason = _(
            "Phạm vi %(scope)s dừng ở mục thứ %(last)s nhưng đầu chuỗi ghi %(head)s: các mục mới nhất đã bị xóa"
        ) % {
            "scope": key,
            "last": n,
            "head": head_entry[0],
        }
        return Failure(None, None, "tail_cut", reason), checked
    if (head_entry or (0, "")) != (n, h):
        reason = _("Đầu của phạm vi %(scope)s không khớp với mục cuối của nó") % {"scope": key}
        return Failure(None, last_id, "head_mismatch", reason), checked
    return None, checked


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
        after = AuditEntry.objects.filter(seq=walk.seq + 1).values("id", "seq", "prev_hash").first()
        if after is not None and after["prev_hash"] != walk.hash:
            failures.append(
                Failure(after["seq"], after["id"], "broken_link", _("Mục này không nối với mục liền trước nó"))
            )
    # the scopes that hold the subtree, each a chain of its own
    keys = set(head["scopes"]) | set(cps.by_scope) | {scope_key_of(path)}
    for key in sorted(k for k in keys if _in_scope(k, path)):
        failure, n = _walk_scope(key, head["scopes"].get(key), cps.by_scope.get(key, {}), chunk)
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
) -> VerifyResult:
    """Verify the trail (or the subtree at ``scope_path``) against its head and every checkpoint.

    By default the checkpoints are those in the database and in the external directory, trusted
    under AUDIT_VERIFY_KEYS and the current key. From outside the application, pass only
    ``checkpoint_files`` and ``public_keys`` (and turn the two other sources off)."""
    keys = trusted_keys() if public_keys is None else {key_id(k): k for k in public_keys}
    if scope_path:
        want = lambda k: _in_scope(k, scope_path)  # noqa: E731
    else:
        want = lambda k: False  # noqa: E731  (the whole chain's hashes vouch for every scope)
    sources = _checkpoint_sources(
        files=checkpoint_files, use_database=use_database_checkpoints, use_directory=use_checkpoint_dir
    )
    cps = _gather(sources, keys, want)
    head = _head()
    if scope_path:
        failure, checked = _verify_scope(scope_path, head, cps, chunk)
    else:
        failure, checked = _verify_all(head, cps, chunk)
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
