"""Applying the quotas and budgets of the structure file."""

from django.db import transaction

from councils.models import Organisation

from .actions import budget_set, quota_create, quota_update
from .models import Quota


def quotas_apply(*, data: dict, programme, actor=None) -> int:
    """Create or change the file's quotas (with their money per award) and budgets through the
    audited actions (the system acting). Loading the same file again changes nothing."""
    assert transaction.get_connection().in_atomic_block
    if programme is None:
        return 0
    changes = 0
    for q in (data.get("programme") or {}).get("quotas") or []:
        org = Organisation.objects.get(code=q["organisation"])
        fields = {"cap": q["cap"], "kind": q.get("kind", Quota.Kind.CAP), "amount_vnd": q.get("amount_vnd", 0)}
        per = q.get("per", Quota.Per.PROGRAMME)
        quota = Quota.objects.filter(programme=programme, award=q["award"], organisation=org, per=per).first()
        if quota is None:
            quota_create(actor=actor, programme=programme, award=q["award"], organisation=org, per=per, **fields)
            changes += 1
        elif any(getattr(quota, k) != v for k, v in fields.items()):
            quota_update(quota_id=quota.pk, actor=actor, **fields)
            changes += 1
    return changes + budgets_apply(data=data, actor=actor)


def budgets_apply(*, data: dict, actor=None) -> int:
    """The file's ``programme.budgets``: one budget per organisation and year (``budget_set``)."""
    changes = 0
    for b in (data.get("programme") or {}).get("budgets") or []:
        org = Organisation.objects.get(code=b["organisation"])
        _budget, changed = budget_set(actor=actor, organisation=org, year=b["year"], amount_vnd=b["amount_vnd"])
        changes += changed
    return changes
