"""The lifecycle as a viewflow finite-state machine: states, transitions and their permission
predicates only. No I/O here: the actions in ``workflow/actions.py`` lock, check, call these
transitions, audit and notify."""

from viewflow import fsm

from initiatives.models import Initiative, State

from . import permissions


class InitiativeFlow:
    state = fsm.State(State, default=State.DRAFT)

    def __init__(self, initiative: Initiative):
        self.initiative = initiative

    @state.getter()
    def _get_state(self):
        return self.initiative.state

    @state.setter()
    def _set_state(self, value):
        self.initiative.state = value

    @state.transition(
        source=State.DRAFT, target=State.ADVISORY_REVIEW, label="submit", permission=permissions.can_submit
    )
    def submit(self):
        """Freeze a dossier version and hand it to the advisory team."""

    @state.transition(
        source=State.ADVISORY_REVIEW,
        target=fsm.State.RETURN_VALUE(State.UNIT_COUNCIL, State.CORPORATION_COUNCIL, State.SECTOR_REVIEW),
        label="forward",
        permission=permissions.can_advise,
    )
    def forward(self, *, to: str):
        """To the first council stage that has a council for this unit."""
        return to

    @state.transition(
        source=State.ADVISORY_REVIEW, target=State.DRAFT, label="return", permission=permissions.can_advise
    )
    def send_back(self):
        """Back to the authors with the advisory team's reasons."""

    @state.transition(
        source=[State.DRAFT, State.ADVISORY_REVIEW],
        target=State.WITHDRAWN,
        label="withdraw",
        permission=permissions.can_withdraw,
    )
    def withdraw(self):
        """The author stops before any council decision."""

    @state.transition(
        source=State.UNIT_COUNCIL,
        target=fsm.State.RETURN_VALUE(State.CORPORATION_COUNCIL, State.SECTOR_REVIEW, State.DRAFT, State.REJECTED),
        label="close",
        permission=permissions.can_close,
    )
    @state.transition(
        source=State.CORPORATION_COUNCIL,
        target=fsm.State.RETURN_VALUE(State.SECTOR_REVIEW, State.DRAFT, State.REJECTED),
        label="close",
        permission=permissions.can_close,
    )
    @state.transition(
        source=State.SECTOR_REVIEW,
        target=fsm.State.RETURN_VALUE(State.SECTOR_CERTIFIED, State.FEDERATION_REVIEW, State.DRAFT, State.REJECTED),
        label="close",
        permission=permissions.can_close,
    )
    @state.transition(
        source=State.FEDERATION_REVIEW,
        target=fsm.State.RETURN_VALUE(State.FEDERATION_CERTIFIED, State.DRAFT, State.REJECTED),
        label="close",
        permission=permissions.can_close,
    )
    def close(self, *, to: str):
        """The chair closes the session; the tally decides where the dossier goes (only to the
        targets declared for its stage)."""
        return to


# The decisions members may vote at each stage (API.md §2).
STAGE_DECISIONS = {
    State.UNIT_COUNCIL: ["approve", "return", "reject"],
    State.CORPORATION_COUNCIL: ["approve", "return", "reject"],
    State.SECTOR_REVIEW: ["certify", "nominate", "return", "reject"],
    State.FEDERATION_REVIEW: ["certify", "return", "reject"],
}
