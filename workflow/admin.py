"""The organisation admin, extended from the room that keeps the progress counters right after a
move: a move in the admin (its form or the tree's drag and drop) goes through
``organisation_relocate`` — the audited ``organisation_move`` plus the counters' refresh that a
structure load also does. Lower rooms never import this one, so the extension happens here."""

from django.contrib import admin

from councils.admin import OrganisationAdmin as CouncilsOrganisationAdmin
from councils.models import Organisation

from .structure import organisation_relocate

admin.site.unregister(Organisation)


@admin.register(Organisation)
class OrganisationAdmin(CouncilsOrganisationAdmin):
    def relocate(self, *, organisation, new_parent, effective, actor):
        return organisation_relocate(organisation=organisation, new_parent=new_parent, effective=effective, actor=actor)
