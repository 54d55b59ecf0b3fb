"""The tamper-evident trail: one chain of entries per *scope* (the first two levels of an
organisation's path, ``scope_key``: an affiliate), each entry hashing its content and the previous
entry of its chain. ``AuditChain`` holds each chain's head; an append locks only its own chain's
row, so independent affiliates append in parallel and no chain ever forks (hash format 3, see
``audit/chain.py``).

Before issue 12 every entry also joined one global chain whose head (``AuditHead``, one row) was
locked by every append in the country; that chain (formats 1 and 2) is closed, its end kept in
``AuditHead`` and still verified. ``AuditCheckpoint`` rows are signed statements of the heads (a
Merkle root over all of them, see ``audit/signing.py``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AuditHead(models.Model):
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")
    # the last entry of every scope: {scope_key: [scope_seq, hash]}; read and written with the
    # locked head row, so the scope links cost no extra query per append
    scopes = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("đầu chuỗi kiểm toán")

    def __str__(self):
        return f"#{self.seq} {self.hash[:12]}"


class AuditChain(models.Model):
    """The head of one scope's chain: its last entry's number on the chain (``n``), hash and
    global ``seq``. Locked (``SELECT … FOR UPDATE``) by each append to this scope, and only by those."""

    key = models.CharField(max_length=255, unique=True)
    n = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")
    seq = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("chuỗi kiểm toán")
        verbose_name_plural = _("chuỗi kiểm toán")

    def __str__(self):
        return f"{self.key or '-'} #{self.n} {self.hash[:12]}"


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True, editable=False)
    # 1: before issue 8 (actor and the name shown outside the hash, no scope links); 2: issue 8
    # (one global chain and scope links); 3: now (chains per scope only, see audit/chain.py).
    # Rows written before an upgrade keep their format and are checked their way; never re-hashed.
    hash_version = models.PositiveSmallIntegerField(db_default=1)
    at = models.DateTimeField(db_index=True)
    # PROTECT: who acted is part of the hashed record; a person who acted is deactivated, not deleted
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)  # username at the time
    actor_display_name = models.CharField(max_length=300, blank=True, db_default="")  # the name shown
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    # materialised path of the organisation the entry belongs to: subtree filters are a prefix match
    scope_path = models.CharField(max_length=255, blank=True, db_index=True)
    scope_key = models.CharField(max_length=255, blank=True, db_default="")
    scope_seq = models.BigIntegerField(null=True, blank=True)
    scope_prev = models.CharField(max_length=64, blank=True, db_default="")
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    version = models.IntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"]),
            # the entries hashed the old way: a scoped verification walks them as one chain
            models.Index(fields=["seq"], condition=Q(hash_version=1), name="audit_entry_v1_seq"),
        ]
        constraints = [
            # one scope chain per scope_key; also the index a scoped verification walks
            models.UniqueConstraint(fields=["scope_key", "scope_seq"], name="audit_entry_scope_seq"),
        ]
        verbose_name = _("mục nhật ký")
        verbose_name_plural = _("nhật ký kiểm toán")

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    @property
    def shown_actor(self) -> str:
        """The actor's name as shown: from hashed fields only (entries of format 1 never hashed the
        full name, so they show the username they did hash)."""
        if self.hash_version >= 2:
            return self.actor_display_name or self.actor_name
        return self.actor_name


class AuditCheckpoint(models.Model):
    """A signed statement of the trail's heads, like a Certificate Transparency signed tree head.
    Format 1 (before issue 12): "at ``at`` the global chain ended at entry ``seq`` with ``hash``"
    (and every scope's head in ``scopes``). Format 2: ``hash`` is the Merkle root over the closed
    global chain's end (``legacy``) and every chain's head (``scopes``: {key: [n, hash, seq]}),
    ``tree_size`` its number of leaves, ``seq`` the highest entry number covered. Also appended
    to a file outside the database and mailed to the auditors."""

    seq = models.BigIntegerField(db_index=True)
    hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=128)
    scopes = models.JSONField(default=dict, blank=True)
    version = models.PositiveSmallIntegerField(db_default=1, default=1)
    tree_size = models.IntegerField(null=True, blank=True)
    legacy = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-seq", "-id"]
        verbose_name = _("mốc kiểm toán")
        verbose_name_plural = _("mốc kiểm toán")

    def __str__(self):
        return f"#{self.seq} {self.hash[:12]} ({self.key_id})"
