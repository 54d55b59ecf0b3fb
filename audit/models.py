"""The tamper-evident trail: one global chain of entries, each hashing its content and the
previous entry's hash. ``AuditHead`` is a one-row table locked while appending, so concurrent
transactions append one after another and the chain never forks.

Each entry also links to the previous entry of its *scope* (the first two levels of its
organisation's path, ``scope_key``): a scoped verification walks only that scope's short chain.
``AuditCheckpoint`` rows are signed statements of the head (see ``audit/signing.py``)."""

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


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True, editable=False)
    # 1: before issue 8 (actor and the name shown outside the hash, no scope links); 2: now.
    # Rows written before the upgrade stay 1 and are checked the old way; never re-hashed.
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
    """A signed statement "at ``at`` the trail's head was entry ``seq`` with ``hash``" (and the
    head of every scope), like a Certificate Transparency signed tree head. Also appended to a
    file outside the database and mailed to the auditors."""

    seq = models.BigIntegerField(db_index=True)
    hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=128)
    scopes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-seq", "-id"]
        verbose_name = _("mốc kiểm toán")
        verbose_name_plural = _("mốc kiểm toán")

    def __str__(self):
        return f"#{self.seq} {self.hash[:12]} ({self.key_id})"
