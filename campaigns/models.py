"""A campaign (vận động) and its recipients, fixed when it is created: one row per person, so that
nobody is mailed twice by one campaign."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from councils.models import Organisation
from initiatives.models import Programme


class Audience(models.TextChoices):
    WITHOUT_INITIATIVE = "without_initiative", _("Người chưa có sáng kiến nào trong chương trình")


class CampaignState(models.TextChoices):
    SENDING = "sending", _("Đang gửi")
    DONE = "done", _("Đã gửi xong")


class Campaign(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("tổ chức"), on_delete=models.PROTECT, related_name="campaigns"
    )
    programme = models.ForeignKey(
        Programme, verbose_name=_("chương trình"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("tiêu đề"), max_length=200)
    message = models.TextField(_("nội dung"))
    audience = models.CharField(_("đối tượng"), max_length=40, choices=Audience.choices)
    state = models.CharField(
        _("trạng thái"), max_length=20, choices=CampaignState.choices, default=CampaignState.SENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người gửi"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ngày tạo"))
    finished_at = models.DateTimeField(_("gửi xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("chiến dịch vận động")
        verbose_name_plural = _("chiến dịch vận động")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.organisation_id}: {self.subject}"

    @property
    def audit_scope_path(self):
        return self.organisation.path


class RecipientState(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    SENT = "sent", _("Đã gửi")
    FAILED = "failed", _("Gửi lỗi")


class CampaignRecipient(models.Model):
    """One person a campaign writes to (their address as it was when the campaign was created).
    A batch claims its pending rows (``pending`` → ``sending``) before mailing, so a retried or
    duplicated batch never mails anyone twice."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254)
    state = models.CharField(max_length=10, choices=RecipientState.choices, default=RecipientState.PENDING)
    claim = models.CharField(max_length=32, blank=True)  # the batch run that claimed the row
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("người nhận")
        verbose_name_plural = _("người nhận")
        constraints = [models.UniqueConstraint(fields=["campaign", "user"], name="unique_campaign_recipient")]
        indexes = [
            models.Index(fields=["campaign", "state"], name="campaign_recipient_state"),
            models.Index(fields=["user", "state"], name="campaign_recipient_user"),
        ]

    def __str__(self):
        return f"{self.campaign_id} → {self.user_id} ({self.state})"
