"""Who must sign in with a second factor.

Required (decided on the server, at every request that is not yet verified, so a role granted
during a session takes effect at once):
- staff and superusers (the admin site) and people holding the role ``admin`` anywhere;
- officers (``officer``): the award committee of their union (``awards.selectors.can_commend``);
- the chair and the secretary of any council;
- every member of a deciding council (unit, corporation, sector, federation): they vote, and
  they are their organisation's award committee (``awards.selectors.award_committee_member``);
- the substitutes of a deciding council: a substitute may be seated on any dossier at any time
  (``workflow.seating``), so they are asked always, not only on the days they sit.
Optional for everyone else (authors, auditors, advisory-team members): they may enrol from
their account page, and once they have an authenticator they are asked for its code too."""

from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from councils.models import CouncilKind, MemberRole, Role, User

DECIDING_KINDS = (CouncilKind.UNIT, CouncilKind.CORPORATION, CouncilKind.SECTOR, CouncilKind.FEDERATION)


def second_factor_required(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return (
        User.objects.filter(pk=user.pk)
        .filter(
            Q(role_assignments__role__in=(Role.ADMIN, Role.OFFICER))
            | Q(memberships__role__in=(MemberRole.CHAIR, MemberRole.SECRETARY))
            | Q(memberships__council__kind__in=DECIDING_KINDS)
            | Q(substitute_for__council__kind__in=DECIDING_KINDS)
        )
        .exists()
    )


def authenticator_of(user) -> TOTPDevice | None:
    """The person's confirmed authenticator (one per person), if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
