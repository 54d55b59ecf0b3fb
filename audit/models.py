"""The tamper-evident trail: one global chain of entries, each hashing its content and the
previous entry's hash. ``AuditHead`` is a one-row table locked while appending, so concurrent
transactions append one after another and the chain never forks."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditHead(models.Model):
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")

    class Meta:
        verbose_name = _("đầu chuỗi kiểm toán")

    def __str__(self):
        return f"#{self.seq} {self.hash[:12]}"


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    # materialised path of the organisation the entry belongs to: subtree filters are a prefix match
    scope_path = models.CharField(max_length=255, blank=True, db_index=True)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    version = models.IntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"])]
        verbose_name = _("mục nhật ký")
        verbose_name_plural = _("nhật ký kiểm toán")

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
