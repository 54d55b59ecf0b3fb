"""Who sits on a council for one dossier: its members less those recused (authors of the
dossier), and, when that leaves fewer than the session's quorum, the council's substitutes who
sit in — in the structure file's order, only as many as the quorum needs, never an author.

Recusal never lowers the quorum. The threshold's denominator is the sitting members (eligible
members plus substitutes sitting in)."""

from dataclasses import dataclass, field

from councils.models import CouncilSubstitute, Membership


@dataclass
class Seating:
    quorum: int
    members: list = field(default_factory=list)  # Membership rows (with user), by username
    recused: list = field(default_factory=list)  # Membership rows of members who are authors
    substitutes: list = field(default_factory=list)  # Users sitting in, in their order

    @property
    def eligible_members(self) -> int:
        return len(self.members) - len(self.recused)

    @property
    def eligible(self) -> int:
        """The sitting members: the threshold's denominator."""
        return self.eligible_members + len(self.substitutes)

    @property
    def voter_ids(self) -> set:
        recused = {m.user_id for m in self.recused}
        return {m.user_id for m in self.members if m.user_id not in recused} | {u.pk for u in self.substitutes}

    @property
    def short(self) -> int:
        """Seats missing for the quorum even with every substitute who may sit in."""
        return max(0, self.quorum - self.eligible)


def seating(
    *, council, quorum: int, author_ids: set, members: list | None = None, substitutes: list | None = None
) -> Seating:
    """The seating of ``council`` for a dossier whose authors are ``author_ids`` under ``quorum``
    (the session's). ``members`` (Membership rows with users) and ``substitutes``
    (CouncilSubstitute rows with users, by position) may be passed when already read."""
    if members is None:
        members = list(Membership.objects.filter(council=council).select_related("user").order_by("user__username"))
    recused = [m for m in members if m.user_id in author_ids]
    seat = Seating(quorum=quorum, members=members, recused=recused)
    need = quorum - seat.eligible_members
    if need > 0:
        if substitutes is None:
            substitutes = CouncilSubstitute.objects.filter(council=council).select_related("user").order_by("position")
        member_ids = {m.user_id for m in members}
        for sub in substitutes:
            if len(seat.substitutes) == need:
                break
            if sub.user_id in author_ids or sub.user_id in member_ids or not sub.user.is_active:
                continue
            seat.substitutes.append(sub.user)
    return seat


def session_seating(session, *, author_ids: set | None = None, members: list | None = None) -> Seating:
    if author_ids is None:
        author_ids = set(session.initiative.authors.exclude(user=None).values_list("user_id", flat=True))
    return seating(council=session.council, quorum=session.quorum, author_ids=author_ids, members=members)


def substitute_councils(user, *, fresh: bool = False) -> frozenset:
    """The councils ``user`` is a substitute of (asked once per user object; ``fresh`` asks again,
    as actions do)."""
    if not user.is_authenticated:
        return frozenset()
    cached = None if fresh else user.__dict__.get("_substitute_councils")
    if cached is None:
        cached = frozenset(CouncilSubstitute.objects.filter(user=user).values_list("council_id", flat=True))
        user.__dict__["_substitute_councils"] = cached
    return cached


def substitute_seats(user) -> set:
    """The initiatives whose open session ``user`` sits in on as a substitute (empty, after one
    query, for everyone who is nobody's substitute)."""
    councils = substitute_councils(user)
    if not councils:
        return set()
    from initiatives.models import InitiativeAuthor

    from .models import CouncilSession

    seats = set()
    sessions = list(
        CouncilSession.objects.filter(council_id__in=councils, closed_at__isnull=True).select_related("council")
    )
    if not sessions:
        return seats
    authors = {}
    for initiative_id, user_id in InitiativeAuthor.objects.filter(
        initiative_id__in=[s.initiative_id for s in sessions], user__isnull=False
    ).values_list("initiative_id", "user_id"):
        authors.setdefault(initiative_id, set()).add(user_id)
    members, substitutes = {}, {}
    for m in Membership.objects.filter(council_id__in=councils).select_related("user").order_by("user__username"):
        members.setdefault(m.council_id, []).append(m)
    for sub in CouncilSubstitute.objects.filter(council_id__in=councils).select_related("user").order_by("position"):
        substitutes.setdefault(sub.council_id, []).append(sub)
    for s in sessions:
        author_ids = authors.get(s.initiative_id, set())
        seat = seating(
            council=s.council,
            quorum=s.quorum,
            author_ids=author_ids,
            members=members.get(s.council_id, []),
            substitutes=substitutes.get(s.council_id, []),
        )
        if user.pk in {u.pk for u in seat.substitutes}:
            seats.add(s.initiative_id)
    return seats


def sits_in(*, user, initiative, session=None, author_ids: set | None = None) -> bool:
    """Whether ``user`` sits in on ``initiative``'s open session as a substitute."""
    if initiative.council_id is None or initiative.council_id not in substitute_councils(user):
        return False
    from .models import CouncilSession

    if session is None:
        session = CouncilSession.objects.filter(initiative=initiative, closed_at__isnull=True).first()
        if session is None:
            return False
    seat = session_seating(session, author_ids=author_ids)
    return user.pk in {u.pk for u in seat.substitutes}
