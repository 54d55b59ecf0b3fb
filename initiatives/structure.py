"""Applying the programme part of the structure file (phases and per-organisation targets)."""

import datetime
from decimal import Decimal

from django.db import transaction

from councils.models import Organisation

from .models import OrganisationTarget, Phase, Programme


def _d(value):
    return datetime.date.fromisoformat(value)


def programme_apply(*, data: dict) -> tuple[Programme | None, int]:
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
    programme, created = Programme.objects.get_or_create(code=spec["code"], defaults=fields)
    changes += created
    if not created:
        changed = [k for k, v in fields.items() if getattr(programme, k) != v]
        if changed:
            for k in changed:
                setattr(programme, k, fields[k])
            programme.save(update_fields=changed)
            changes += 1
    phases = {}
    for ph in spec.get("phases") or []:
        pf = {"starts": _d(ph["starts"]), "ends": _d(ph["ends"]), "target": ph.get("target", 0)}
        phase, created = Phase.objects.get_or_create(programme=programme, code=ph["code"], defaults=pf)
        changes += created
        if not created and any(getattr(phase, k) != v for k, v in pf.items()):
            Phase.objects.filter(pk=phase.pk).update(**pf)
            changes += 1
        phases[phase.code] = phase
    changes += _apply_targets(data.get("organisations") or [], phases)
    return programme, changes


def _apply_targets(orgs, phases) -> int:
    changes = 0
    for spec in orgs:
        targets = spec.get("targets") or []
        if targets:
            org = Organisation.objects.get(code=spec["code"])
            for t in targets:
                target, created = OrganisationTarget.objects.get_or_create(
                    organisation=org, phase=phases[t["phase"]], defaults={"initiatives": t["initiatives"]}
                )
                changes += created
                if not created and target.initiatives != t["initiatives"]:
                    target.initiatives = t["initiatives"]
                    target.save(update_fields=["initiatives"])
                    changes += 1
        changes += _apply_targets(spec.get("children") or [], phases)
    return changes
