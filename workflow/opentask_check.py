"""Proof that the open-work table is right: the inbox read from it (``selectors.inbox``) against
the inbox searched from the dossiers (``selectors.inbox_searched``), person by person."""

from django.db.models import Q

from councils.models import Membership, User
from initiatives.models import InitiativeAuthor

from .selectors import inbox, inbox_searched


def people_with_work(limit: int | None = None):
    """Everyone who may owe work: council and advisory-team members, substitutes and listed authors."""
    from councils.models import CouncilSubstitute

    ids = set(Membership.objects.values_list("user_id", flat=True))
    ids |= set(CouncilSubstitute.objects.values_list("user_id", flat=True))
    ids |= set(InitiativeAuthor.objects.filter(user__isnull=False).values_list("user_id", flat=True).distinct())
    users = User.objects.filter(Q(pk__in=sorted(ids))).order_by("pk")
    return users[:limit] if limit else users


def inbox_differences(users) -> list[dict]:
    """[{"user", "missing": [ids only the search finds], "extra": [ids only the table gives]}]."""
    out = []
    for user in users:
        table = set(inbox(user=user).values_list("pk", flat=True))
        searched = set(inbox_searched(user=user).values_list("pk", flat=True))
        if table != searched:
            out.append({"user": user.username, "missing": sorted(searched - table), "extra": sorted(table - searched)})
    return out


def stale_due_dates(limit: int = 50) -> list[int]:
    """Dossiers whose open-work rows carry another due date than the dossier's own (the inbox's
    pages are ordered and filtered by the rows' ``due_at``: ``selectors.InboxRows``); at most
    ``limit`` of them."""
    from django.db.models import F

    from initiatives.models import OpenTask

    differ = (
        Q(due_at__isnull=True, initiative__due_at__isnull=False)
        | Q(due_at__isnull=False, initiative__due_at__isnull=True)
        | (Q(due_at__isnull=False, initiative__due_at__isnull=False) & ~Q(due_at=F("initiative__due_at")))
    )
    return list(
        OpenTask.objects.filter(differ)
        .order_by("initiative_id")
        .values_list("initiative_id", flat=True)
        .distinct()[:limit]
    )
