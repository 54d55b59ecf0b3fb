"""Applying the programme part of the structure file (phases and per-organisation targets).

The structure file is the one door for programmes and phases (the admin shows them read-only):
their dates are every union's counting periods. Each change is audited with the values before
and after; targets go through ``target_set`` like the admin's."""

import datetime
from decimal import Decimal

from django.db import transaction

from audit.actions import audit_record
from councils.models import Organisation

from .actions import target_set
from .models import OrganisationTarget, Phase, Programme


def _d(value):
    if isinstance(value, datetime.date):  # YAML reads dates itself
        return value
    return datetime.date.fromisoformat(value)


def programme_apply(*, data: dict, actor=None) -> tuple[Programme | None, int]:
    """Create or update the programme, its phases and the organisations' targets. Returns
    (programme, number of changed rows)."""
    assert transaction.get_connection().in_atomic_block
    spec = data.get("programme")
    if not spec:
        return None, 0
    changes = 0
    fields = {
        "name": spec["name"],
        "starts": _d(spec["starts"]),
        "ends": _d(spec["ends"]),
        "participation_target_percent": Decimal(str(spec.get("participation_target_percent", 10))),
    }
    programme = Programme.objects.filter(code=spec["code"]).first()
    if programme is None:
        programme = Programme.objects.create(code=spec["code"], **fields)
        audit_record(actor=actor, action="create_programme", obj=programme, details={"after": fields})
        changes += 1
    else:
        changed = {k: v for k, v in fields.items() if getattr(programme, k) != v}
        if changed:
            before = {k: getattr(programme, k) for k in changed}
            for k, v in changed.items():
                setattr(programme, k, v)
            programme.save(update_fields=list(changed))
            audit_record(
                actor=actor, action="update_programme", obj=programme, details={"before": before, "after": changed}
            )
            changes += 1
    phases = {}
    for ph in spec.get("phases") or []:
        pf = {"starts": _d(ph["starts"]), "ends": _d(ph["ends"]), "target": ph.get("target", 0)}
        phase = Phase.objects.filter(programme=programme, code=ph["code"]).first()
        if phase is None:
            phase = Phase.objects.create(programme=programme, code=ph["code"], **pf)
            audit_record(actor=actor, action="create_phase", obj=phase, details={"phase": str(phase), "after": pf})
            changes += 1
        else:
            changed = {k: v for k, v in pf.items() if getattr(phase, k) != v}
            if changed:
                before = {k: getattr(phase, k) for k in changed}
                Phase.objects.filter(pk=phase.pk).update(**changed)
                audit_record(
                    actor=actor,
                    action="update_phase",
                    obj=phase,
                    details={"phase": str(phase), "before": before, "after": changed},
                )
                changes += 1
        phases[phase.code] = phase
    changes += _apply_targets(data.get("organisations") or [], phases, actor)
    return programme, changes


def _apply_targets(orgs, phases, actor=None) -> int:
    changes = 0
    for spec in orgs:
        targets = spec.get("targets") or []
        if targets:
            org = Organisation.objects.get(code=spec["code"])
            for t in targets:
                # "from": a revision taking effect that day (its own row: the history stays)
                valid_from = _d(t["from"]) if t.get("from") else None
                phase = phases[t["phase"]]
                current = OrganisationTarget.objects.filter(
                    organisation=org, phase=phase, valid_from=valid_from
                ).first()
                if current is None or current.initiatives != t["initiatives"]:
                    target_set(
                        actor=actor, organisation=org, phase=phase, initiatives=t["initiatives"], valid_from=valid_from
                    )
                    changes += 1
        changes += _apply_targets(spec.get("children") or [], phases, actor)
    return changes
