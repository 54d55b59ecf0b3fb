"""Award quotas (caps by default). Certificates and commendations come with the awards issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from councils.models import Organisation
from initiatives.models import Programme


class Award(models.TextChoices):
    FEDERATION_CERTIFICATE = "federation_certificate", _("Bằng Lao động sáng tạo")
    SECTOR_CERTIFICATE = "sector_certificate", _("Chứng nhận Lao động sáng tạo")
    MONTHLY_COMMENDATION = "monthly_commendation", _("Biểu dương hằng tháng")


class Quota(models.Model):
    class Per(models.TextChoices):
        PROGRAMME = "programme", _("cả chương trình")
        MONTH = "month", _("mỗi tháng")

    class Kind(models.TextChoices):
        CAP = "cap", _("mức trần")
        TARGET = "target", _("chỉ tiêu")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="quotas")
    award = models.CharField(_("loại khen thưởng"), max_length=40, choices=Award.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="quotas")
    cap = models.PositiveIntegerField(_("hạn mức"))
    per = models.CharField(_("chu kỳ"), max_length=20, choices=Per.choices, default=Per.PROGRAMME)
    kind = models.CharField(_("loại hạn mức"), max_length=10, choices=Kind.choices, default=Kind.CAP)

    class Meta:
        verbose_name = _("hạn mức khen thưởng")
        verbose_name_plural = _("hạn mức khen thưởng")
        constraints = [
            models.UniqueConstraint(fields=["programme", "award", "organisation", "per"], name="unique_quota")
        ]

    def __str__(self):
        return f"{self.get_award_display()} — {self.organisation.code}: {self.cap} / {self.get_per_display()}"
