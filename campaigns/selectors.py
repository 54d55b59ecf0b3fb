"""Reads about campaigns: who a campaign reaches, its progress, and the reach of all campaigns over
an organisation (for the officers' dashboard).

Definitions
-----------
- **has an initiative in the programme**: listed as an author (and not having declined) of an
  initiative of the programme that was not withdrawn — drafts included: who has started one is not
  chased.
- **audience** ``without_initiative``: the active people with an account and an e-mail address whose
  organisation lies in the campaign's subtree and who have no initiative in the programme — fixed
  when the campaign is created.
- **reached**: a person a campaign's mail was sent to (``sent``), counted once however many
  campaigns reached them. **joined**: a reached person who became an author of an initiative of the
  programme created after the first campaign mail that reached them was sent.
- **reached_percent**: reached / members (the organisation's headcount, or the sum of its
  children's when it has none, as the progress report counts them) × 100, one decimal;
  **joined_percent**: joined / reached × 100.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from councils.models import Organisation, Role, User
from councils.selectors import subtree_q, user_role_paths
from initiatives.models import Consent, InitiativeAuthor, Programme, State

from .models import Campaign, CampaignRecipient, RecipientState

OVERSIGHT_ROLES = (Role.OFFICER, Role.AUDITOR, Role.ADMIN)


def current_programme() -> Programme | None:
    """The programme running today (the latest to start), else the latest one."""
    today = timezone.localdate()
    return (
        Programme.objects.filter(starts__lte=today, ends__gte=today).order_by("-starts").first()
        or Programme.objects.order_by("-starts").first()
    )


def authorships(*, programme: Programme | None) -> QuerySet:
    """Author rows that make a person "have an initiative in the programme"."""
    qs = InitiativeAuthor.objects.exclude(consent=Consent.DECLINED).exclude(initiative__state=State.WITHDRAWN)
    if programme is not None:
        qs = qs.filter(initiative__programme=programme)
    return qs.filter(user__isnull=False)


def audience_users(*, organisation: Organisation, programme: Programme | None) -> QuerySet:
    """The people a ``without_initiative`` campaign over ``organisation`` writes to now."""
    has_one = authorships(programme=programme).filter(user_id=OuterRef("pk"))
    return (
        User.objects.filter(is_active=True, organisation__path__startswith=organisation.path)
        .exclude(email="")
        .exclude(Exists(has_one))
        .order_by("pk")
    )


def audience_count(*, organisation: Organisation) -> int:
    return audience_users(organisation=organisation, programme=current_programme()).count()


def may_send_campaign(*, user, organisation: Organisation) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm("councils.act_as_officer", organisation)


def campaign_organisations(*, user, limit: int = 300) -> list[Organisation]:
    """The organisations over which ``user`` may send a campaign (their officer and admin roles'
    subtrees), in tree order, at most ``limit``."""
    paths = user_role_paths(user=user, roles=[Role.OFFICER, Role.ADMIN])
    if not paths:
        return []
    return list(Organisation.objects.filter(subtree_q(paths, field="path")).order_by("path")[:limit])


def campaign_list(*, user) -> QuerySet:
    """The campaigns ``user`` may read: those they sent, and those over an organisation their
    officer, auditor or admin roles cover."""
    if not getattr(user, "is_authenticated", False):
        return Campaign.objects.none()
    q = Q(created_by=user)
    paths = user_role_paths(user=user, roles=OVERSIGHT_ROLES)
    if paths:
        q |= subtree_q(paths, field="organisation__path")
    if user.is_superuser:
        q = Q()
    return Campaign.objects.filter(q).select_related("organisation", "created_by").order_by("-created_at", "-id")


def campaign_get_visible(*, user, pk) -> Campaign:
    if not str(pk).isdigit() or int(pk) > 2**63 - 1:
        raise Campaign.DoesNotExist
    return campaign_list(user=user).get(pk=int(pk))


def campaign_progress(campaign: Campaign) -> dict:
    """``{"recipients", "sent", "failed", "pending", "state"}``: one grouped query."""
    counts = dict(
        CampaignRecipient.objects.filter(campaign=campaign)
        .order_by()
        .values_list("state")
        .annotate(n=Count("*"))
        .values_list("state", "n")
    )
    sent, failed = counts.get(RecipientState.SENT, 0), counts.get(RecipientState.FAILED, 0)
    waiting = counts.get(RecipientState.PENDING, 0) + counts.get(RecipientState.SENDING, 0)
    total = sent + failed + waiting
    return {
        "recipients": total,
        "sent": sent,
        "failed": failed,
        "pending": waiting,
        "percent_done": percent(sent + failed, total) if total else 100.0,
        "state": campaign.state,
    }


def _joined_q(programme: Programme | None, after_field: str) -> Exists:
    later = authorships(programme=programme).filter(
        user_id=OuterRef("user_id"), initiative__created_at__gte=OuterRef(after_field)
    )
    return Exists(later)


def campaign_joined(campaign: Campaign) -> int:
    """Recipients mailed by ``campaign`` who became authors of an initiative of its programme
    created after their mail was sent."""
    return (
        CampaignRecipient.objects.filter(campaign=campaign, state=RecipientState.SENT)
        .filter(_joined_q(campaign.programme, "sent_at"))
        .count()
    )


def percent(part, whole) -> float | None:
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def members_of(organisation: Organisation) -> int:
    """The organisation's headcount, or the sum of its children's (recursively) when it has none."""
    if organisation.headcount:
        return organisation.headcount
    rows = list(
        Organisation.objects.filter(path__startswith=organisation.path, depth__gt=organisation.depth).values_list(
            "path", "headcount"
        )
    )
    own = dict(rows)
    step = Organisation.steplen
    children: dict[str, list[str]] = {}
    for path in own:
        children.setdefault(path[:-step], []).append(path)

    def total(path):
        return own.get(path) or sum(total(p) for p in children.get(path, []))

    return sum(total(p) for p in children.get(organisation.path, []))


def campaign_reach(*, organisation: Organisation, programme: Programme | None = None) -> dict:
    """The reach of every campaign of ``programme`` (default: the current one) over the people of
    ``organisation``'s subtree: ``{"campaigns", "reached", "members", "reached_percent", "joined",
    "joined_percent", "mails_sent", "mails_failed"}``. A handful of queries, whatever the size."""
    programme = programme if programme is not None else current_programme()
    rows = CampaignRecipient.objects.filter(user__organisation__path__startswith=organisation.path)
    if programme is not None:
        rows = rows.filter(campaign__programme=programme)
    mails = dict(rows.order_by().values_list("state").annotate(n=Count("*")).values_list("state", "n"))
    sent = rows.filter(state=RecipientState.SENT).order_by()
    people = sent.values("user_id").distinct().count()
    # an initiative created after the first mail to a person is one created after some mail to them
    joined = sent.filter(_joined_q(programme, "sent_at")).values("user_id").distinct().count()
    campaigns = Campaign.objects.filter(pk__in=rows.order_by().values("campaign_id")).count()
    members = members_of(organisation)
    return {
        "organisation": organisation.code,
        "programme": programme.code if programme else None,
        "campaigns": campaigns,
        "mails_sent": mails.get(RecipientState.SENT, 0),
        "mails_failed": mails.get(RecipientState.FAILED, 0),
        "reached": people,
        "members": members,
        "reached_percent": percent(people, members),
        "joined": joined,
        "joined_percent": percent(joined, people),
    }
