"""Who may take each step, asked of the object itself (this council, this organisation).

The flow's transitions name these predicates, and the actions call them before changing
anything: viewflow does not check permissions when a transition is called."""

from initiatives.models import Initiative
from initiatives.selectors import is_adviser, is_author


def can_submit(flow, user) -> bool:
    """An author, an advisory-team member or an officer of the unit."""
    i: Initiative = flow.initiative
    return (
        is_author(user=user, initiative=i)
        or is_adviser(user=user, organisation=i.organisation)
        or user.has_perm("councils.act_as_officer", i.organisation)
    )


def can_advise(flow, user) -> bool:
    """A member of the unit's advisory team (or the nearest ancestor's, where it has none)."""
    return is_adviser(user=user, organisation=flow.initiative.organisation)


def can_withdraw(flow, user) -> bool:
    return is_author(user=user, initiative=flow.initiative)


def can_close(flow, user) -> bool:
    """The chair or the secretary of the council the dossier is before."""
    council = flow.initiative.council
    return council is not None and user.has_perm("councils.close_session", council)


def is_member(*, user, initiative: Initiative) -> bool:
    return initiative.council is not None and user.has_perm("councils.vote", initiative.council)


def is_recused(*, user, initiative: Initiative) -> bool:
    """A member who is an author of the initiative cannot vote on it."""
    return is_author(user=user, initiative=initiative)
