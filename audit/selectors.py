"""Reading and verifying the trail."""

from dataclasses import dataclass

from .actions import HASHED_FIELDS, entry_digest
from .models import AuditEntry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad: int | None = None
    reason: str = ""

    def as_dict(self):
        data = {"ok": self.ok, "checked": self.checked}
        if not self.ok:
            data["first_bad"] = self.first_bad
            data["reason"] = self.reason
        return data


def _check(entry: dict, expected_prev: str | None) -> str:
    if expected_prev is not None and entry["prev_hash"] != expected_prev:
        return "prev_hash does not match the previous entry's hash"
    if entry_digest(entry) != entry["hash"]:
        return "content does not match its hash"
    return ""


def audit_verify(*, scope_path: str = "", chunk: int = 2000) -> VerifyResult:
    """Recompute the chain. With ``scope_path``, only the entries of that subtree are checked,
    each against its own content and against its predecessor in the global chain."""
    fields = ("id", "hash", *HASHED_FIELDS)
    qs = AuditEntry.objects.order_by("seq").values(*fields)
    checked = 0
    if not scope_path:
        prev_hash, prev_seq = "", 0
        for entry in qs.iterator(chunk_size=chunk):
            checked += 1
            reason = _check(entry, prev_hash)
            if not reason and entry["seq"] != prev_seq + 1:
                reason = "a sequence number is missing before this entry"
            if reason:
                return VerifyResult(False, checked, entry["id"], reason)
            prev_hash, prev_seq = entry["hash"], entry["seq"]
        return VerifyResult(True, checked)
    last_seq = 0
    while True:
        batch = list(qs.filter(scope_path__startswith=scope_path, seq__gt=last_seq)[:chunk])
        if not batch:
            return VerifyResult(True, checked)
        before = {e["seq"] for e in batch} - {1}
        prev = dict(AuditEntry.objects.filter(seq__in=[s - 1 for s in before]).values_list("seq", "hash"))
        for entry in batch:
            checked += 1
            expected = "" if entry["seq"] == 1 else prev.get(entry["seq"] - 1)
            reason = "the previous entry is missing" if expected is None else _check(entry, expected)
            if reason:
                return VerifyResult(False, checked, entry["id"], reason)
        last_seq = batch[-1]["seq"]


def audit_entries_for(*, object_type: str, object_id) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id))
        .select_related("actor")
        .order_by("seq")
    )
