"""Writes of the library: a unit records that it applies a recognised initiative of another unit."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import audit_record
from councils.models import Organisation, User
from initiatives.exceptions import ApplicationError
from initiatives.models import Initiative
from initiatives.selectors import is_author
from notifications.outbox import outbox_enqueue

from .models import Adoption
from .selectors import in_library_q, may_record_for

NOTE_MAX = 2000


def adoption_record(*, initiative_id: int, organisation: Organisation, actor: User, note: str = "") -> Adoption:
    """``organisation`` applies the recognised initiative ``initiative_id`` too.

    404 (``Initiative.DoesNotExist``) for an unknown or unrecognised initiative; 403 unless
    ``actor`` is an officer of the organisation (or above it) or a member of its advisory team;
    409 ``own_initiative`` for the initiative's own unit or when ``actor`` is one of its authors;
    409 ``already_adopted`` when the organisation already recorded it; 400 for a note over
    ``NOTE_MAX`` characters. Audited (``adopt``); the authors are told after the commit."""
    note = note if isinstance(note, str) else ""
    note = note.strip()
    with transaction.atomic():
        # the initiative's row serialises two records of the same initiative
        initiative = (
            Initiative.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .filter(in_library_q())
            .get(pk=initiative_id)
        )
        if not may_record_for(user=actor, organisation=organisation):
            raise PermissionDenied(
                _(
                    "Chỉ cán bộ công đoàn hoặc tổ tư vấn của %(organisation)s mới được ghi nhận đơn vị này "
                    "áp dụng sáng kiến."
                )
                % {"organisation": organisation.name}
            )
        if organisation.path.startswith(initiative.organisation.path):
            raise ApplicationError(
                _("Đây là sáng kiến của chính %(organisation)s: chỉ ghi nhận việc áp dụng ở đơn vị khác.")
                % {"organisation": initiative.organisation.name},
                code="own_initiative",
            )
        if is_author(user=actor, initiative=initiative):
            raise ApplicationError(
                _("Bạn là tác giả của sáng kiến này: việc áp dụng ở đơn vị khác do người khác ghi nhận."),
                code="own_initiative",
            )
        if len(note) > NOTE_MAX:
            raise ValidationError({"note": [_("Ghi chú dài tối đa %(n)d ký tự") % {"n": NOTE_MAX}]})
        if Adoption.objects.filter(initiative=initiative, organisation=organisation).exists():
            raise ApplicationError(
                _("%(organisation)s đã được ghi nhận là đơn vị áp dụng sáng kiến này.")
                % {"organisation": organisation.name},
                code="already_adopted",
            )
        try:
            with transaction.atomic():
                adoption = Adoption.objects.create(
                    initiative=initiative,
                    organisation=organisation,
                    note=note,
                    recorded_by=actor,
                    recorded_at=timezone.now(),
                )
        except IntegrityError:  # a concurrent record of the same pair won
            raise ApplicationError(
                _("%(organisation)s đã được ghi nhận là đơn vị áp dụng sáng kiến này.")
                % {"organisation": organisation.name},
                code="already_adopted",
            ) from None
        # the authors hear of it after the commit (a rolled-back record tells nobody)
        outbox_enqueue("library.tasks.notify_adoption", adoption_id=adoption.pk)
        audit_record(
            actor=actor,
            action="adopt",
            obj=adoption,
            comment=note,
            details={
                "initiative": initiative.pk,
                "reference": initiative.reference or "",
                "initiative_organisation": initiative.organisation.code,
                "organisation": organisation.code,
            },
        )
    return adoption
