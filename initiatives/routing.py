"""Which council judges a dossier at each stage (API.md §2, "Stage rules").

``unit_council`` → the unit's council (or the nearest above it); ``corporation_council`` → the
nearest ancestor's corporation council; ``sector_review`` → the nearest sector council;
``federation_review`` → the federation council. A stage whose council does not exist is skipped.
"""

from django.db.models import Q, QuerySet

from councils.models import Council, CouncilKind, CouncilSubstitute, Membership, Organisation
from councils.selectors import nearest_council

from .models import State

STAGE_KIND = {
    State.UNIT_COUNCIL: CouncilKind.UNIT,
    State.CORPORATION_COUNCIL: CouncilKind.CORPORATION,
    State.SECTOR_REVIEW: CouncilKind.SECTOR,
    State.FEDERATION_REVIEW: CouncilKind.FEDERATION,
}
# the stages a dossier passes after the advisory team forwards it, in order (federation only by nomination)
ORDINARY_STAGES = [State.UNIT_COUNCIL, State.CORPORATION_COUNCIL, State.SECTOR_REVIEW]


def council_for_stage(*, organisation: Organisation, state: str) -> Council | None:
    return nearest_council(organisation=organisation, kind=STAGE_KIND[state])


def first_stage(*, organisation: Organisation, stages=ORDINARY_STAGES) -> tuple[str, Council] | None:
    """The first of ``stages`` that has a council for this organisation."""
    for state in stages:
        council = council_for_stage(organisation=organisation, state=state)
        if council is not None:
            return state, council
    return None


def stage_after(*, organisation: Organisation, state: str) -> tuple[str, Council] | None:
    """Where an approval at ``state`` sends the dossier next (None: no council above)."""
    if state not in ORDINARY_STAGES:
        return None
    later = ORDINARY_STAGES[ORDINARY_STAGES.index(state) + 1 :]
    return first_stage(organisation=organisation, stages=later)


def recognised_stages(*, organisations) -> dict:
    """For a register's rows recognised by their unit council, per organisation id: ``(state,
    council)`` — ``stage_after(state=unit_council)``, or when no council sits above, the unit
    council itself (``council_for_stage``, possibly None) — for many organisations in one query:
    the same answers as those functions (``nearest_council``: the nearest organisation's, the
    newest of a kind on one organisation)."""
    organisations = list(organisations)
    if not organisations:
        return {}
    paths = {o.pk: o.ancestor_paths(include_self=True) for o in organisations}
    kinds = {STAGE_KIND[state] for state in ORDINARY_STAGES}
    councils = {}
    for council in (
        Council.objects.filter(kind__in=kinds, organisation__path__in={p for ps in paths.values() for p in ps})
        .select_related("organisation")
        .order_by("pk")
    ):
        councils[(council.kind, council.organisation.path)] = council

    def nearest(org_id, state):
        kind = STAGE_KIND[state]
        return next((councils[(kind, p)] for p in reversed(paths[org_id]) if (kind, p) in councils), None)

    out = {}
    for org in organisations:
        later = ORDINARY_STAGES[ORDINARY_STAGES.index(State.UNIT_COUNCIL) + 1 :]
        found = next(((s, c) for s in later if (c := nearest(org.pk, s)) is not None), None)
        out[org.pk] = found or (State.UNIT_COUNCIL, nearest(org.pk, State.UNIT_COUNCIL))
    return out


def route_councils(*, organisation: Organisation) -> QuerySet:
    """The councils a dossier of ``organisation`` may come before once its advisory team forwards
    it: every council that is not an advisory team, of the unit and of each organisation above it
    (the federation council, at the root, among them). A superset of the stages' councils (each
    stage takes the nearest of its kind): cheap, one subquery, and never narrower."""
    return Council.objects.filter(organisation__path__in=organisation.ancestor_paths(include_self=True)).exclude(
        kind=CouncilKind.ADVISORY
    )


def route_seat_q(*, organisation: Organisation, field: str = "pk") -> Q:
    """A filter on ``field`` (a user id) for the members and substitutes of ``route_councils``:
    two ``IN`` subqueries, no query of their own."""
    route = route_councils(organisation=organisation).values("pk")
    members = Membership.objects.filter(council__in=route).values("user_id")
    substitutes = CouncilSubstitute.objects.filter(council__in=route).values("user_id")
    return Q(**{f"{field}__in": members}) | Q(**{f"{field}__in": substitutes})
