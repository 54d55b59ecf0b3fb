"""Award quotas (caps by default), the certificates and commendations they limit, serial counters
and the eligibility thresholds of the award rules."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from councils.models import Organisation
from initiatives.models import Programme


class Award(models.TextChoices):
    FEDERATION_CERTIFICATE = "federation_certificate", _("Bằng Lao động sáng tạo")
    SECTOR_CERTIFICATE = "sector_certificate", _("Chứng nhận Lao động sáng tạo")
    MONTHLY_COMMENDATION = "monthly_commendation", _("Biểu dương hằng tháng")
    ADHOC_COMMENDATION = "adhoc_commendation", _("Khen thưởng đột xuất")


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
    # the money each award of this quota commits from the awarding organisation's budget
    amount_vnd = models.BigIntegerField(_("mức tiền mỗi suất (VND)"), default=0)

    class Meta:
        verbose_name = _("hạn mức khen thưởng")
        verbose_name_plural = _("hạn mức khen thưởng")
        constraints = [
            models.UniqueConstraint(fields=["programme", "award", "organisation", "per"], name="unique_quota")
        ]

    def __str__(self):
        return f"{self.get_award_display()} — {self.organisation.code}: {self.cap} / {self.get_per_display()}"


class Certificate(models.Model):
    """One award granted to one initiative: a sector or federation certificate, or a monthly
    commendation. Revoking keeps the row (the document existed) and frees the quota unit."""

    serial = models.CharField(_("số hiệu"), max_length=40, unique=True)
    award = models.CharField(_("loại khen thưởng"), max_length=40, choices=Award.choices)
    initiative = models.ForeignKey(
        "initiatives.Initiative", on_delete=models.PROTECT, related_name="certificates", verbose_name=_("sáng kiến")
    )
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("cơ quan khen thưởng")
    )
    council = models.ForeignKey(
        "councils.Council", null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )
    quota = models.ForeignKey(Quota, null=True, blank=True, on_delete=models.PROTECT, related_name="certificates")
    # first day of the month the award counts in: the chosen month for a commendation, else the issue month
    period_month = models.DateField(_("tháng"))
    title = models.CharField(_("tên sáng kiến"), max_length=300)
    recipients = models.JSONField(_("người nhận"), default=list)
    issued_at = models.DateTimeField(_("ngày cấp"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("ngày thu hồi"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(_("lý do thu hồi"), blank=True)
    details = models.JSONField(default=dict, blank=True)
    # the money committed with the award (from ``budget``); a revoked award commits nothing
    amount_vnd = models.BigIntegerField(_("số tiền (VND)"), default=0)
    budget = models.ForeignKey(
        "awards.Budget", null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )
    reason = models.TextField(_("lý do khen thưởng"), blank=True)

    class Meta:
        verbose_name = _("chứng nhận, khen thưởng")
        verbose_name_plural = _("chứng nhận, khen thưởng")
        ordering = ["-issued_at", "-id"]
        constraints = [
            # one standing award of each kind per initiative (a revoked one may be re-issued)
            models.UniqueConstraint(
                fields=["initiative", "award"],
                condition=models.Q(revoked_at__isnull=True),
                name="unique_standing_award",
            )
        ]
        indexes = [models.Index(fields=["award", "programme", "period_month"])]

    def __str__(self):
        return f"{self.serial} — {self.get_award_display()}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def audit_scope_path(self):
        return self.initiative.organisation.path


class Budget(models.Model):
    """The commendation budget of an organisation for a calendar year (the structure file's
    ``programme.budgets``). What is committed is the sum of its standing awards' amounts."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="budgets", verbose_name=_("tổ chức")
    )
    year = models.PositiveIntegerField(_("năm"))
    amount_vnd = models.BigIntegerField(_("kinh phí (VND)"))

    class Meta:
        verbose_name = _("kinh phí khen thưởng")
        verbose_name_plural = _("kinh phí khen thưởng")
        ordering = ["organisation__path", "year"]
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="unique_budget")]

    def __str__(self):
        return f"{self.organisation.code} {self.year}: {self.amount_vnd}"


class Nomination(models.Model):
    """A union proposes a recognised initiative of its subtree to the union directly above it for
    a month's commendations, with a comment."""

    month = models.DateField(_("tháng"))
    initiative = models.ForeignKey(
        "initiatives.Initiative", on_delete=models.PROTECT, related_name="nominations", verbose_name=_("sáng kiến")
    )
    from_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="nominations_made", verbose_name=_("công đoàn đề cử")
    )
    to_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="nominations_received",
        verbose_name=_("công đoàn cấp trên"),
    )
    comment = models.TextField(_("nhận xét"), blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("ngày đề cử"))

    class Meta:
        verbose_name = _("đề cử khen thưởng")
        verbose_name_plural = _("đề cử khen thưởng")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "to_organisation", "month"], name="unique_nomination")
        ]

    def __str__(self):
        return f"{self.from_organisation.code} → {self.to_organisation.code}: {self.initiative_id} ({self.month:%Y-%m})"

    @property
    def audit_scope_path(self):
        return self.initiative.organisation.path


class SerialCounter(models.Model):
    """The last serial number used for a prefix in a year; locked while a serial is allocated."""

    prefix = models.CharField(max_length=20)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="unique_serial_counter")]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last}"


class Category(models.TextChoices):
    """Who a threshold applies to (see ``awards.eligibility.author_category``)."""

    COLLEGE_OR_BELOW = "college_or_below", _("Trình độ cao đẳng trở xuống")
    UNIVERSITY_OR_ABOVE = "university_or_above", _("Trình độ đại học trở lên")
    MANAGER = "manager", _("Cán bộ quản lý")


class EligibilityRule(models.Model):
    """A threshold of an award rule (e.g. Bằng Lao động sáng tạo: 80 M VND for workers with a
    college-level qualification or below). Data, editable in the admin, not a constant."""

    award = models.CharField(_("loại khen thưởng"), max_length=40, choices=Award.choices)
    name = models.CharField(_("tên tiêu chí"), max_length=200)
    min_benefit_vnd = models.BigIntegerField(_("giá trị làm lợi tối thiểu (VND)"))
    years = models.PositiveSmallIntegerField(
        _("số năm liên tục"), default=1, help_text=_("1, hoặc 3 cho tiêu chí cộng dồn 3 năm liên tục")
    )
    applies_to = models.CharField(_("áp dụng cho"), max_length=30, choices=Category.choices)
    active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("tiêu chí khen thưởng")
        verbose_name_plural = _("tiêu chí khen thưởng")
        ordering = ["award", "min_benefit_vnd", "years"]
        constraints = [models.CheckConstraint(condition=models.Q(years__gte=1), name="eligibility_years_positive")]

    def __str__(self):
        return self.name
