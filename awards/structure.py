"""Applying the quotas of the structure file."""

from django.db import transaction

from councils.models import Organisation

from .models import Quota


def quotas_apply(*, data: dict, programme) -> int:
    assert transaction.get_connection().in_atomic_block
    if programme is None:
        return 0
    changes = 0
    for q in (data.get("programme") or {}).get("quotas") or []:
        org = Organisation.objects.get(code=q["organisation"])
        fields = {"cap": q["cap"], "kind": q.get("kind", Quota.Kind.CAP)}
        quota, created = Quota.objects.get_or_create(
            programme=programme,
            award=q["award"],
            organisation=org,
            per=q.get("per", Quota.Per.PROGRAMME),
            defaults=fields,
        )
        changes += created
        if not created and any(getattr(quota, k) != v for k, v in fields.items()):
            Quota.objects.filter(pk=quota.pk).update(**fields)
            changes += 1
    return changes
