"""Which council judges a dossier at each stage (API.md §2, "Stage rules").

``unit_council`` → the unit's council (or the nearest above it); ``corporation_council`` → the
nearest ancestor's corporation council; ``sector_review`` → the nearest sector council;
``federation_review`` → the federation council. A stage whose council does not exist is skipped.
"""

from councils.models import Council, CouncilKind, Organisation
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
