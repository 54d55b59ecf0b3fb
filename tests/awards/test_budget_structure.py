"""The structure file's ``programme.budgets`` and quota ``amount_vnd``: validated with paths in the
messages, applied through audited actions, and loading the same file again changes nothing."""

import copy

import pytest

from audit.models import AuditEntry
from awards.models import Award, Budget, Quota
from councils.structure import StructureError, structure_validate
from workflow.structure import structure_load

pytestmark = pytest.mark.django_db


def with_budgets(data, budgets, amounts=None):
    data = copy.deepcopy(data)
    data["programme"]["budgets"] = budgets
    for q in data["programme"]["quotas"]:
        if amounts and q["award"] in amounts:
            q["amount_vnd"] = amounts[q["award"]]
    return data


def test_budgets_and_amounts_load_audited_and_reloading_changes_nothing(structure, structure_data):
    data = with_budgets(
        structure_data,
        [
            {"organisation": "NGANH", "year": 2026, "amount_vnd": 500_000_000},
            {"organisation": "TCTA", "year": 2026, "amount_vnd": 80_000_000},
        ],
        {"monthly_commendation": 2_000_000, "sector_certificate": 10_000_000},
    )
    assert structure_load(data=data) == 4  # two budgets, two quotas' amounts
    assert {(b.organisation.code, b.year, b.amount_vnd) for b in Budget.objects.select_related("organisation")} == {
        ("NGANH", 2026, 500_000_000),
        ("TCTA", 2026, 80_000_000),
    }
    assert Quota.objects.get(award=Award.MONTHLY_COMMENDATION).amount_vnd == 2_000_000
    assert AuditEntry.objects.filter(action="create_budget").count() == 2
    assert AuditEntry.objects.filter(action="update_quota", details__after__amount_vnd=10_000_000).count() == 1
    entries = AuditEntry.objects.count()
    assert structure_load(data=data) == 0
    assert AuditEntry.objects.count() == entries
    # a changed amount is one audited change with before and after
    data["programme"]["budgets"][0]["amount_vnd"] = 600_000_000
    assert structure_load(data=data) == 1
    entry = AuditEntry.objects.get(action="update_budget")
    assert entry.details["before"] == {"amount_vnd": 500_000_000} and entry.details["after"] == {
        "amount_vnd": 600_000_000
    }


def test_bad_budgets_are_named_by_their_path_and_nothing_is_written(structure, structure_data):
    data = with_budgets(
        structure_data,
        [
            {"organisation": "NGANH", "year": 2026, "amount_vnd": -5},
            {"organisation": "KHONG-CO", "year": 2026, "amount_vnd": 1},
            {"organisation": "NGANH", "year": "2026", "amount_vnd": 1},
            "not an object",
            {"year": 2027, "amount_vnd": 1},
            {"organisation": "TCTA", "year": 2026, "amount_vnd": 1},
            {"organisation": "TCTA", "year": 2026, "amount_vnd": 2},
        ],
        {"sector_certificate": "mười triệu"},
    )
    errors = structure_validate(data)
    text = "\n".join(errors)
    for path in (
        "programme.budgets[0].amount_vnd",
        "programme.budgets[1].organisation",
        "programme.budgets[2].year",
        "programme.budgets[3]",
        "programme.budgets[4].organisation",
        "programme.budgets[6]",
        "programme.quotas[1].amount_vnd",
    ):
        assert path in text, (path, errors)
    assert "KHONG-CO" in text
    assert not any(e.startswith("programme.budgets[5]") for e in errors)
    with pytest.raises(StructureError):
        structure_load(data=data)
    assert not Budget.objects.exists()
    bad = copy.deepcopy(structure_data)
    bad["programme"]["budgets"] = {"NGANH": 1}
    assert any(e.startswith("programme.budgets") for e in structure_validate(bad))
