"""Appending to the trail, and signing checkpoints of it.

Call ``audit_record`` inside the action's transaction, after the change. It costs two
statements on PostgreSQL (three elsewhere): lock the head row of the entry's chain (its scope's, and
only that one) taking the entry's global number from the sequence; then insert the entry and move
the head to it (one statement: the insert is a CTE of the head's update). Appends to different scopes
never wait for each other. A transaction that appends to several chains locks them one by one as
it appends: two transactions appending to the same two chains in opposite orders could deadlock
(PostgreSQL then aborts one); ``audit_record_many`` locks its chains in key order."""

import json
from collections import Counter

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.bulk import bulk_insert
from config.metrics import count_action

from .chain import (  # noqa: F401  (HASHED_FIELDS and entry_digest are imported from here)
    CURRENT_HASH_VERSION,
    ENTRY_FIELDS,
    HASH_V2,
    HASH_V3,
    HASHED_FIELDS,
    ChainWalk,
    ScopeWalk,
    entry_digest,
    entry_link,
    scope_key_of,
)
from .models import AuditChain, AuditCheckpoint, AuditEntry, AuditHead
from .signing import (
    AuditRefused,
    checkpoint_append,
    checkpoint_dir,
    checkpoint_from_row,
    checkpoint_problem,
    checkpoint_sign_heads,
    last_external_checkpoint,
    signing_key,
    trusted_keys,
)

# PostgreSQL: the entries' global numbers (migration 0005); elsewhere max(seq) + 1 under the
# database's single writer
ENTRY_SEQUENCE = "audit_auditentry_seq_gen"


def _lock_sql(many: bool) -> str:
    where = "key = ANY(%s) ORDER BY key" if many else "key = %s"
    if connection.vendor == "postgresql":
        # the lock first (a materialised CTE), the number after it: numbers increase along a chain
        return (
            f"WITH h AS (SELECT id, key, n, hash FROM audit_auditchain WHERE {where} FOR UPDATE) "
            f"SELECT h.id, h.key, h.n, h.hash, nextval('{ENTRY_SEQUENCE}') FROM h"
        )
    where = "key IN (SELECT value FROM json_each(%s)) ORDER BY key" if many else "key = %s"
    return (
        "SELECT id, key, n, hash, (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_auditentry) "
        f"FROM audit_auditchain WHERE {where}"
    )


def _locked_chains(keys: list[str]) -> dict:
    """Lock the head rows of ``keys`` (in key order), creating the missing ones; returns
    {key: (id, n, hash, next_seq)}. Every row gets one number from the sequence."""
    many = len(keys) > 1
    param = (list(keys) if connection.vendor == "postgresql" else json.dumps(list(keys))) if many else keys[0]
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(many), [param])
        rows = {r[1]: (r[0], r[2], r[3], r[4]) for r in cursor.fetchall()}
        if len(rows) < len(keys):  # a chain's first entry (or a database flushed by a test)
            AuditChain.objects.bulk_create([AuditChain(key=k) for k in keys if k not in rows], ignore_conflicts=True)
            cursor.execute(_lock_sql(many), [param])
            rows = {r[1]: (r[0], r[2], r[3], r[4]) for r in cursor.fetchall()}
    return rows


def entry_seq_next(count: int = 1) -> list[int]:
    """``count`` fresh global entry numbers, for a writer outside ``audit_record`` (a bulk load):
    from the sequence on PostgreSQL; max(seq) + 1 … elsewhere. Take them after locking (or while
    owning) the chains they go on, so that numbers increase along each chain."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT nextval('{ENTRY_SEQUENCE}') FROM generate_series(1, %s)", [count])
            return sorted(r[0] for r in cursor.fetchall())
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_auditentry")
        base = cursor.fetchone()[0]
    return list(range(base + 1, base + count + 1))


def entry_seq_sync() -> None:
    """After entries were written with numbers of their own (a bulk COPY, a restore, a test that
    writes rows by hand): move the PostgreSQL sequence past every number in use."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval('{ENTRY_SEQUENCE}', GREATEST((SELECT last_value FROM {ENTRY_SEQUENCE}), "
            "(SELECT COALESCE(MAX(seq), 0) FROM audit_auditentry), (SELECT COALESCE(MAX(seq), 0) FROM audit_audithead)))"
        )


def chain_heads_set(heads: dict) -> None:
    """Set chain heads {key: (n, hash, seq)} after a bulk writer appended whole chains itself
    (``entry_link`` for each entry, in chain order), inside its transaction."""
    for key, (n, h, s) in heads.items():
        AuditChain.objects.update_or_create(key=key, defaults={"n": n, "hash": h, "seq": s})


def _entry_values(
    *, actor, action, obj, object_type, object_id, scope_path, from_state, to_state, version, comment, details, at
) -> dict:
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
        scope_path = scope_path or getattr(obj, "audit_scope_path", "")
    username = getattr(actor, "username", "") or ""
    return {
        "at": at,
        "actor_id": getattr(actor, "pk", None) or None,
        "actor_name": username,
        "actor_display_name": (getattr(actor, "display_name", "") or username)[:300],
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "scope_path": scope_path or "",
        "from_state": from_state or "",
        "to_state": to_state or "",
        "version": version,
        "comment": comment or "",
        "details": json.loads(json.dumps(details or {}, default=str)),
    }


def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id="",
    scope_path: str = "",
    from_state: str = "",
    to_state: str = "",
    version: int | None = None,
    comment: str = "",
    details: dict | None = None,
) -> AuditEntry:
    """Append one entry to its scope's chain. Must run inside a transaction (the action's own)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the action's transaction")
    values = _entry_values(
        actor=actor,
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        scope_path=scope_path,
        from_state=from_state,
        to_state=to_state,
        version=version,
        comment=comment,
        details=details,
        at=timezone.now(),
    )
    key = scope_key_of(values["scope_path"])
    # Lock this scope's head: the next appender *to this scope* waits until this transaction commits.
    head_id, n, prev, seq = _locked_chains([key])[key]
    values["seq"] = seq
    entry_link(values, prev_n=n, prev_hash=prev)
    entry = _append(AuditEntry(**values), head_id)
    count_action(action)  # /metrics: actions by kind, counted once committed
    return entry


def _append(entry: AuditEntry, head_id: int) -> AuditEntry:
    """Insert ``entry`` (linked, numbered) and move its chain's head to it, under the head's lock.
    PostgreSQL: one statement (the insert a CTE of the head's update); elsewhere two."""
    if connection.vendor != "postgresql":
        entry.save(force_insert=True)
        AuditChain.objects.filter(pk=head_id).update(n=entry.scope_seq, hash=entry.hash, seq=entry.seq)
        return entry
    from config import sqlbatch

    insert, params = sqlbatch.insert_statement([entry])
    chain = AuditChain._meta.db_table
    sqlbatch.execute(  # queued inside sqlbatch.deferring(): it travels with the action's next statement
        f"WITH e AS ({insert}) UPDATE {chain} SET n = %s, hash = %s, seq = %s WHERE id = %s "
        "RETURNING (SELECT e.id FROM e)",
        [*params, entry.scope_seq, entry.hash, entry.seq, head_id],
        on_rows=lambda rows: sqlbatch.saved([entry], rows),
    )
    return entry


def audit_record_many(records: list[dict]) -> int:
    """Append many entries at once (a register import's batch: one per imported initiative), each
    ``records`` item holding ``audit_record``'s keyword arguments: the same entries, chained in
    order on their scopes' chains, with one lock of those chains (in key order), one insert and
    one update per chain. Inside the caller's transaction."""
    if not records:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the action's transaction")
    now = timezone.now()
    rows = []
    for r in records:
        rows.append(
            _entry_values(
                actor=r["actor"],
                action=r["action"],
                obj=r.get("obj"),
                object_type=r.get("object_type", ""),
                object_id=r.get("object_id", ""),
                scope_path=r.get("scope_path", ""),
                from_state=r.get("from_state"),
                to_state=r.get("to_state"),
                version=r.get("version"),
                comment=r.get("comment"),
                details=r.get("details"),
                at=now,
            )
        )
    keys = sorted({scope_key_of(v["scope_path"]) for v in rows})
    heads = {k: list(v[:3]) for k, v in _locked_chains(keys).items()}  # key -> [id, n, hash]
    seqs = entry_seq_next(len(rows))  # after the locks (the numbers the lock took are gaps)
    entries, last = [], {}
    for values, seq in zip(rows, seqs, strict=True):
        key = scope_key_of(values["scope_path"])
        values["seq"] = seq
        entry_link(values, prev_n=heads[key][1], prev_hash=heads[key][2])
        heads[key][1], heads[key][2] = values["scope_seq"], values["hash"]
        last[key] = seq
        entries.append(AuditEntry(**values))
    bulk_insert(AuditEntry, entries)  # COPY on PostgreSQL
    for key, (head_id, n, h) in heads.items():
        AuditChain.objects.filter(pk=head_id).update(n=n, hash=h, seq=last[key])
    for action, n in Counter(e.action for e in entries).items():
        count_action(action, n)
    return len(entries)


def _latest_checkpoints(keys):
    """The newest checkpoint in the database whose signature holds, and the last line of the
    external file: the points the next checkpoint starts its check from."""
    found = []
    for row in AuditCheckpoint.objects.order_by("-seq", "-id")[:20]:
        cp = checkpoint_from_row(row)
        if checkpoint_problem(cp, keys) is None:
            found.append(cp)
            break
    external = last_external_checkpoint(checkpoint_dir())
    if external is not None and checkpoint_problem(external, keys) is None:
        found.append(external)
    return found


def _legacy_since(anchors, head) -> str:
    """The closed global chain (formats 1 and 2) from the oldest anchor to ``AuditHead``."""
    expected = {}
    for cp in anchors:
        seq, h = cp.legacy_end()
        expected.setdefault(seq, []).append((h, cp.label))
    start = min(anchors, key=lambda cp: cp.legacy_end()[0]) if anchors else None
    start_seq, start_hash = start.legacy_end() if start else (0, "")
    if start is not None and start.version >= 2 and (start_seq, start_hash) != (head.seq, head.hash):
        return _("đầu chuỗi chung cũ (#%(head)s) không còn là điểm mốc %(checkpoint)s ghi") % {
            "head": head.seq,
            "checkpoint": start.label,
        }
    if start is None or start_seq == 0:
        walk = ChainWalk(expected=expected)
    else:
        at_start = AuditEntry.objects.filter(seq=start_seq).values("hash", "hash_version").first()
        if at_start is None or at_start["hash"] != start_hash:
            return _("mục #%(seq)s không còn khớp với mốc %(checkpoint)s") % {
                "seq": start_seq,
                "checkpoint": start.label,
            }
        if start.version >= 2:
            return ""  # the closed chain ends where the checkpoint saw it end
        walk = ChainWalk(
            seq=start_seq, hash=start_hash, version=at_start["hash_version"], scopes=start.scopes, expected=expected
        )
    entries = (
        AuditEntry.objects.filter(seq__gt=walk.seq, seq__lte=head.seq, hash_version__lt=HASH_V3)
        .order_by("seq")
        .values(*ENTRY_FIELDS)
    )
    for e in entries.iterator(chunk_size=2000):
        failure = walk.feed(e)
        if failure:
            return f"#{failure.seq}: {failure.reason}"
    for seq, items in expected.items():
        if seq > walk.seq:
            return _("mục #%(seq)s của mốc %(checkpoint)s không còn") % {"seq": seq, "checkpoint": items[0][1]}
    head_scopes = {k: (v[0], v[1]) for k, v in (head.scopes or {}).items()}
    if (walk.seq, walk.hash) != (head.seq, head.hash) or head_scopes != walk.scopes:
        return _("đầu chuỗi (#%(head)s) không khớp với mục cuối (#%(last)s)") % {"head": head.seq, "last": walk.seq}
    return ""


def _chains_since(anchors, heads: dict) -> str:
    """Every chain from the anchors' head of it to its head row now: '' when they hold."""
    from django.db.models import Q

    expected, start = {}, {}
    for cp in anchors:
        for key, (n, h) in cp.chains().items():
            expected.setdefault(key, {}).setdefault(n, []).append((h, cp.label))
            if key not in start or n < start[key][0]:
                start[key] = (n, h)
    for key in start:
        if key not in heads:
            return _("chuỗi %(scope)s có trong mốc nhưng không còn đầu chuỗi") % {"scope": key or "-"}
    walks, q = {}, Q()
    for key, (n, h, _seq) in heads.items():
        n0, h0 = start.get(key, (0, ""))
        if n < n0 or (n == n0 and h != h0):
            return _("đầu chuỗi %(scope)s không còn khớp với mốc") % {"scope": key or "-"}
        if n > n0:
            walks[key] = ScopeWalk(key, n=n0, hash=h0, expected=expected.get(key))
            q |= Q(scope_key=key, scope_seq__gt=n0, scope_seq__lte=n)
    if not walks:
        return ""
    entries = AuditEntry.objects.filter(q, hash_version__gte=HASH_V2).order_by("scope_key", "scope_seq")
    for e in entries.values(*ENTRY_FIELDS).iterator(chunk_size=2000):
        walk = walks.get(e["scope_key"])
        failure = walk.feed(e) if walk else None
        if failure:
            return f"#{failure.seq}: {failure.reason}"
    for key, walk in walks.items():
        n, h, _seq = heads[key]
        if (walk.n, walk.hash) != (n, h):
            return _("đầu chuỗi %(scope)s không khớp với mục cuối của nó") % {"scope": key or "-"}
    return ""


def chain_heads() -> tuple[tuple[int, str], dict]:
    """The closed global chain's end (seq, hash) and every chain's head {key: (n, hash, seq)},
    as committed (one statement each: one consistent snapshot of all heads)."""
    head = AuditHead.objects.filter(pk=1).first() or AuditHead(seq=0, hash="", scopes={})
    heads = {k: (n, h, s) for k, n, h, s in AuditChain.objects.filter(n__gt=0).values_list("key", "n", "hash", "seq")}
    return head, heads


@transaction.atomic
def audit_checkpoint_create() -> tuple[AuditCheckpoint, bool]:
    """Sign the Merkle root over every chain's head (format 2) and keep the checkpoint in the
    database and in the external file.

    Returns ``(checkpoint, created)``: when no head has moved since the newest checkpoint, that
    one is returned and nothing is signed. Before signing, every chain is checked from the newest
    checkpoint (or from its start) to its head, so a trail already cut or rewritten is never
    vouched for: ``AuditRefused`` (code ``audit_broken``) instead. Also refused without a signing
    key (DEBUG off) or without an external directory (DEBUG off). Takes no lock: appends go on."""
    key = signing_key()
    directory = checkpoint_dir()
    if directory is None:
        raise AuditRefused(
            _(
                "Chưa cấu hình thư mục lưu mốc ở ngoài cơ sở dữ liệu (AUDIT_CHECKPOINT_DIR): "
                "không thể tạo mốc kiểm toán"
            ),
            code="checkpoint_dir_missing",
        )
    keys = trusted_keys()
    # the anchors first, then the heads: a checkpoint made meanwhile by another process signed
    # heads committed before ours, so ours are never behind an anchor
    anchors = _latest_checkpoints(keys)
    head, heads = chain_heads()
    legacy = (head.seq, head.hash)
    latest = AuditCheckpoint.objects.order_by("-seq", "-id").first()
    if latest is not None and latest.version >= 2:
        cp = checkpoint_from_row(latest)
        same = cp.legacy_end() == legacy and {k: tuple(v) for k, v in cp.scopes.items()} == heads
        if same and checkpoint_problem(cp, keys) is None:
            return latest, False
    reason = _legacy_since(anchors, head) or _chains_since(anchors, heads)
    if reason:
        raise AuditRefused(
            _("Chuỗi kiểm toán không còn nguyên vẹn (%(reason)s): không ký mốc mới") % {"reason": reason},
            code="audit_broken",
        )
    at = timezone.now()
    signed = checkpoint_sign_heads(key=key, legacy=legacy, heads=heads, at=at)
    row = AuditCheckpoint.objects.create(
        seq=signed.seq,
        hash=signed.hash,
        at=at,
        key_id=signed.key_id,
        signature=signed.signature,
        scopes=signed.scopes,
        version=signed.version,
        tree_size=signed.tree_size,
        legacy=signed.legacy,
    )
    try:  # inside the transaction: no checkpoint in the database without its copy outside
        checkpoint_append(signed, directory)
    except OSError as e:
        raise AuditRefused(
            _("Không ghi được tệp mốc kiểm toán %(path)s: %(error)s") % {"path": directory, "error": e},
            code="checkpoint_dir_unwritable",
        ) from e
    return row, True
