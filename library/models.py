"""A unit's record that it applies a recognised initiative of another unit (nhân rộng sáng kiến)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from councils.models import Organisation
from initiatives.models import Initiative


class Adoption(models.Model):
    """``organisation`` applies ``initiative`` too. One row per initiative and organisation; made only
    through ``library.actions.adoption_record`` (audited)."""

    initiative = models.ForeignKey(
        Initiative, verbose_name=_("sáng kiến"), on_delete=models.PROTECT, related_name="adoptions"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("đơn vị áp dụng"), on_delete=models.PROTECT, related_name="adoptions"
    )
    note = models.TextField(_("ghi chú"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người ghi nhận"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("ngày ghi nhận"))

    class Meta:
        verbose_name = _("đơn vị áp dụng sáng kiến")
        verbose_name_plural = _("đơn vị áp dụng sáng kiến")
        ordering = ["initiative", "recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "organisation"], name="unique_adoption"),
        ]
        indexes = [models.Index(fields=["organisation"], name="adoption_organisation")]

    def __str__(self):
        return f"{self.initiative_id} @ {self.organisation_id}"

    @property
    def audit_scope_path(self):
        # the adopting unit's auditors read it in their trail
        return self.organisation.path
