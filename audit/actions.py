"""Appending to the trail, and signing checkpoints of it.

Call ``audit_record`` inside the action's transaction, after the change. It costs three
statements: lock the head row (which also holds every scope's last entry), insert, update."""

import json
from collections import Counter

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.metrics import count_action

from .chain import (  # noqa: F401  (HASHED_FIELDS and entry_digest are imported from here)
    CURRENT_HASH_VERSION,
    ENTRY_FIELDS,
    HASHED_FIELDS,
    ChainWalk,
    entry_digest,
    scope_key_of,
)
from .models import AuditCheckpoint, AuditEntry, AuditHead
from .signing import (
    AuditRefused,
    checkpoint_append,
    checkpoint_dir,
    checkpoint_from_row,
    checkpoint_problem,
    checkpoint_sign,
    last_external_checkpoint,
    signing_key,
    trusted_keys,
)


def _locked_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # a new database (or one flushed by a test)
        AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


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
    """Append one entry to the chain. Must run inside a transaction (the action's own)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the action's transaction")
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
        scope_path = scope_path or getattr(obj, "audit_scope_path", "")
    scope_path = scope_path or ""
    # Lock the head: the next appender waits here until this transaction commits.
    head = _locked_head()
    scopes = dict(head.scopes or {})
    key = scope_key_of(scope_path)
    scope_seq, scope_prev = scopes.get(key, (0, ""))
    username = getattr(actor, "username", "") or ""
    values = {
        "hash_version": CURRENT_HASH_VERSION,
        "seq": head.seq + 1,
        "at": timezone.now(),
        "actor_id": getattr(actor, "pk", None) or None,
        "actor_name": username,
        "actor_display_name": (getattr(actor, "display_name", "") or username)[:300],
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "scope_path": scope_path,
        "scope_key": key,
        "scope_seq": scope_seq + 1,
        "scope_prev": scope_prev,
        "from_state": from_state or "",
        "to_state": to_state or "",
        "version": version,
        "comment": comment or "",
        "details": json.loads(json.dumps(details or {}, default=str)),
        "prev_hash": head.hash,
    }
    values["hash"] = entry_digest(values)
    entry = AuditEntry.objects.create(**values)
    scopes[key] = [entry.scope_seq, entry.hash]
    head.seq, head.hash, head.scopes = entry.seq, entry.hash, scopes
    head.save(update_fields=["seq", "hash", "scopes"])
    count_action(action)  # /metrics: actions by kind, counted once committed
    return entry


def audit_record_many(records: list[dict]) -> int:
    """Append many entries at once (a register import's batch: one per imported initiative), each
    ``records`` item holding ``audit_record``'s keyword arguments: the same entries, chained in
    order, with one lock of the head, one insert and one update. Inside the caller's transaction."""
    if not records:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the action's transaction")
    head = _locked_head()
    scopes = dict(head.scopes or {})
    seq, prev = head.seq, head.hash
    now = timezone.now()
    entries = []
    for r in records:
        obj, actor = r.get("obj"), r["actor"]
        object_type, object_id, scope_path = r.get("object_type", ""), r.get("object_id", ""), r.get("scope_path", "")
        if obj is not None:
            object_type = object_type or obj._meta.model_name
            object_id = object_id or obj.pk
            scope_path = scope_path or getattr(obj, "audit_scope_path", "")
        scope_path = scope_path or ""
        key = scope_key_of(scope_path)
        scope_seq, scope_prev = scopes.get(key, (0, ""))
        username = getattr(actor, "username", "") or ""
        seq += 1
        values = {
            "hash_version": CURRENT_HASH_VERSION,
            "seq": seq,
            "at": now,
            "actor_id": getattr(actor, "pk", None) or None,
            "actor_name": username,
            "actor_display_name": (getattr(actor, "display_name", "") or username)[:300],
            "action": r["action"],
            "object_type": object_type,
            "object_id": str(object_id),
            "scope_path": scope_path,
            "scope_key": key,
            "scope_seq": scope_seq + 1,
            "scope_prev": scope_prev,
            "from_state": r.get("from_state") or "",
            "to_state": r.get("to_state") or "",
            "version": r.get("version"),
            "comment": r.get("comment") or "",
            "details": json.loads(json.dumps(r.get("details") or {}, default=str)),
            "prev_hash": prev,
        }
        values["hash"] = prev = entry_digest(values)
        scopes[key] = [values["scope_seq"], values["hash"]]
        entries.append(AuditEntry(**values))
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
    head.seq, head.hash, head.scopes = seq, prev, scopes
    head.save(update_fields=["seq", "hash", "scopes"])
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


def _trail_since(anchors, head) -> str:
    """Walk the trail from the oldest anchor to the head; '' when it holds, else the reason."""
    expected = {}
    for cp in anchors:
        expected.setdefault(cp.seq, []).append((cp.hash, cp.label))
    start = min(anchors, key=lambda cp: cp.seq) if anchors else None
    if start is None or start.seq == 0:
        walk = ChainWalk(expected=expected)
    else:
        at_start = AuditEntry.objects.filter(seq=start.seq).values("hash", "hash_version").first()
        if at_start is None or at_start["hash"] != start.hash:
            return _("mục #%(seq)s không còn khớp với mốc %(checkpoint)s") % {
                "seq": start.seq,
                "checkpoint": start.label,
            }
        walk = ChainWalk(
            seq=start.seq, hash=start.hash, version=at_start["hash_version"], scopes=start.scopes, expected=expected
        )
    entries = AuditEntry.objects.filter(seq__gt=walk.seq, seq__lte=head.seq).order_by("seq").values(*ENTRY_FIELDS)
    for e in entries.iterator(chunk_size=2000):
        failure = walk.feed(e)
        if failure:
            return f"#{failure.seq}: {failure.reason}"
    for cp in anchors:
        if cp.seq > walk.seq:
            return _("mục #%(seq)s của mốc %(checkpoint)s không còn") % {"seq": cp.seq, "checkpoint": cp.label}
    head_scopes = {k: (v[0], v[1]) for k, v in (head.scopes or {}).items()}
    if (walk.seq, walk.hash) != (head.seq, head.hash) or head_scopes != walk.scopes:
        return _("đầu chuỗi (#%(head)s) không khớp với mục cuối (#%(last)s)") % {"head": head.seq, "last": walk.seq}
    return ""


@transaction.atomic
def audit_checkpoint_create() -> tuple[AuditCheckpoint, bool]:
    """Sign the current head and keep the checkpoint in the database and in the external file.

    Returns ``(checkpoint, created)``: when the head has not moved since the newest checkpoint,
    that one is returned and nothing is signed. Before signing, the trail is checked from the
    newest checkpoint (or from its start) to the head, so a trail already cut or rewritten is
    never vouched for: ``AuditRefused`` (code ``audit_broken``) instead. Also refused without a
    signing key (DEBUG off) or without an external directory (DEBUG off)."""
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
    # the anchors first, then the head: a checkpoint made meanwhile by another process signed a
    # head committed before ours, so ours is never behind an anchor
    anchors = _latest_checkpoints(keys)
    # the committed head; entries up to it are committed too (same transaction), newer ones wait
    head = AuditHead.objects.filter(pk=1).first() or AuditHead(seq=0, hash="", scopes={})
    latest = AuditCheckpoint.objects.order_by("-seq", "-id").first()
    if latest is not None and (latest.seq, latest.hash) == (head.seq, head.hash):
        if checkpoint_problem(checkpoint_from_row(latest), keys) is None:
            return latest, False
    reason = _trail_since(anchors, head)
    if reason:
        raise AuditRefused(
            _("Chuỗi kiểm toán không còn nguyên vẹn (%(reason)s): không ký mốc mới") % {"reason": reason},
            code="audit_broken",
        )
    at = timezone.now()
    signed = checkpoint_sign(key=key, seq=head.seq, hash=head.hash, at=at, scopes=head.scopes)
    row = AuditCheckpoint.objects.create(
        seq=signed.seq,
        hash=signed.hash,
        at=at,
        key_id=signed.key_id,
        signature=signed.signature,
        scopes=signed.scopes,
    )
    try:  # inside the transaction: no checkpoint in the database without its copy outside
        checkpoint_append(signed, directory)
    except OSError as e:
        raise AuditRefused(
            _("Không ghi được tệp mốc kiểm toán %(path)s: %(error)s") % {"path": directory, "error": e},
            code="checkpoint_dir_unwritable",
        ) from e
    return row, True
