"""Loading a whole structure file: validate everything, then write it in one transaction."""

from django.db import transaction

from awards.structure import quotas_apply
from councils.actions import organisation_move
from councils.structure import StructureError, structure_apply_tree, structure_parse, structure_validate
from initiatives.counters import progress_counters_refresh
from initiatives.structure import programme_apply


@transaction.atomic
def structure_load(*, data: dict, actor=None) -> int:
    """Validate and apply ``data``; raises ``StructureError`` (writing nothing) when it is bad.
    Returns the number of rows changed (0 when the same file is loaded again)."""
    errors = structure_validate(data)
    if errors:
        raise StructureError(errors)
    tree = structure_apply_tree(data=data, actor=actor)
    programme, programme_changes = programme_apply(data=data, actor=actor)
    quota_changes = quotas_apply(data=data, programme=programme, actor=actor)
    progress_counters_refresh()  # after moves or new periods the report counters are rebuilt
    return tree.changes + programme_changes + quota_changes


def structure_load_file(*, path, actor=None) -> int:
    return structure_load(data=structure_parse(path), actor=actor)


@transaction.atomic
def organisation_relocate(*, organisation, new_parent, effective, actor=None):
    """Move an organisation (``councils.actions.organisation_move``: permission, OrganisationMove,
    audit) and bring the progress counters up to date for the new tree, as a structure load does
    (``progress_counters_refresh``). The admin's moves come here (``workflow.admin``)."""
    move = organisation_move(organisation=organisation, new_parent=new_parent, effective=effective, actor=actor)
    if move is not None:
        progress_counters_refresh()
    return move
