"""What the system told a person: each e-mail it sends about a dossier, a session or an award is
also a notification they read in the application (read or unread), mail address or not."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("người nhận")
    )
    subject = models.CharField(_("tiêu đề"), max_length=300)
    body = models.TextField(_("nội dung"))
    url = models.CharField(_("đường dẫn"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("thời điểm"))
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self):
        return self.subject


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("chờ gửi")
    SENDING = "sending", _("đang gửi")
    SENT = "sent", _("đã gửi")
    FAILED = "failed", _("gửi không được")


class OutboxMessage(models.Model):
    """Outgoing work an action wrote in its own transaction: build and send the notification made by
    ``task`` (a Celery task's dotted name, run with ``kwargs``) later, whatever happens to the broker.
    Built once (the row's lock and its state), then its mails (``OutgoingMail``) are sent one by one."""

    task = models.CharField(_("tác vụ"), max_length=200)
    kwargs = models.JSONField(_("tham số"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người thực hiện"),
    )
    state = models.CharField(_("trạng thái"), max_length=10, choices=DeliveryState.choices, default="pending")
    attempts = models.PositiveIntegerField(_("số lần thử"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    next_attempt_at = models.DateTimeField(_("lần thử tới"))
    created_at = models.DateTimeField(_("thời điểm"))
    sent_at = models.DateTimeField(_("gửi xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo chờ gửi")
        verbose_name_plural = _("thông báo chờ gửi")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]

    def __str__(self):
        return f"{self.task} #{self.pk} ({self.state})"


class OutgoingMail(models.Model):
    """One mail of an outbox message, to one recipient (nobody learns another's address), with its
    Message-ID fixed before it is sent: a resend after a crash carries the same id."""

    outbox = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="mails", null=True, blank=True)
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="mails"
    )
    message_id = models.CharField(_("mã thư"), max_length=255, unique=True)
    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    subject = models.TextField(_("tiêu đề"))
    body = models.TextField(_("nội dung"))
    attachments = models.JSONField(default=list)  # [filename, base64 content, mimetype]
    state = models.CharField(_("trạng thái"), max_length=10, choices=DeliveryState.choices, default="pending")
    attempts = models.PositiveIntegerField(_("số lần thử"), default=0)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    next_attempt_at = models.DateTimeField(_("lần thử tới"))
    created_at = models.DateTimeField(_("thời điểm"))
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thư gửi đi")
        verbose_name_plural = _("thư gửi đi")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outgoing_mail_due")]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"
