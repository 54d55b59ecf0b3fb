"""Recovery codes: django-otp's static device idea (single-use codes), but stored hashed.

django-otp's own ``otp_static`` keeps its tokens in clear text; a DBA or a leaked backup would then
hold every decider's way past the second factor. Here each code is 16 random base32 characters
(80 bits, shown once as ``XXXX-XXXX-XXXX-XXXX``) and only its SHA-256 is kept: with that much
entropy a salt or a slow hash adds nothing. A code is used once: the row is marked used in the
same UPDATE that matches it, so two requests racing with one code cannot both pass."""

import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper without doubt
CODE_LENGTH = 16


def normalise_code(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def code_digest(text: str) -> str:
    return hashlib.sha256(("sangkien-recovery-code:" + normalise_code(text)).encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


class RecoveryCodeDevice(Device):
    """A person's set of recovery codes (one device per person, regenerated as a whole)."""

    class Meta:
        verbose_name = _("bộ mã khôi phục")
        verbose_name_plural = _("bộ mã khôi phục")

    def verify_token(self, token):
        text = normalise_code(token)
        if len(text) != CODE_LENGTH:
            return False
        used = self.codes.filter(digest=code_digest(text), used_at__isnull=True).update(used_at=timezone.now())
        return used == 1

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "digest"], name="unique_recovery_code")]
        verbose_name = _("mã khôi phục")
        verbose_name_plural = _("mã khôi phục")

    def __str__(self):  # never the code: only whose set it belongs to and whether it was used
        return f"{self.device.user_id}: {'used' if self.used_at else 'unused'}"
