"""Appending to the trail. Call ``audit_record`` inside the action's transaction, after the change."""

import hashlib
import json
from datetime import UTC

from django.db import transaction
from django.utils import timezone

from .models import AuditEntry, AuditHead

HASHED_FIELDS = (
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


def entry_digest(values: dict) -> str:
    """sha256 over the canonical JSON of an entry's content, its previous hash included."""
    content = {}
    for field in HASHED_FIELDS:
        value = values[field]
        if field == "at":
            value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        content[field] = value
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


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
    head, _ = AuditHead.objects.get_or_create(pk=1)
    # Lock the head: the next appender waits here until this transaction commits.
    head = AuditHead.objects.select_for_update().get(pk=1)
    values = {
        "seq": head.seq + 1,
        "at": timezone.now(),
        "actor_name": getattr(actor, "username", "") or "",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "scope_path": scope_path or "",
        "from_state": from_state or "",
        "to_state": to_state or "",
        "version": version,
        "comment": comment or "",
        "details": json.loads(json.dumps(details or {}, default=str)),
        "prev_hash": head.hash,
    }
    values["hash"] = entry_digest(values)
    entry = AuditEntry.objects.create(actor=actor if getattr(actor, "pk", None) else None, **values)
    head.seq = entry.seq
    head.hash = entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry
