import copy
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from audit.models import AuditEntry
from awards.models import Quota
from councils.models import Council, Membership, Organisation, RoleAssignment, User
from councils.structure import StructureError, structure_validate
from initiatives.models import OrganisationTarget, Phase, Programme
from workflow.structure import structure_load

pytestmark = pytest.mark.django_db


def counts():
    return {
        m.__name__: m.objects.count()
        for m in (
            Organisation,
            User,
            Council,
            Membership,
            RoleAssignment,
            Programme,
            Phase,
            OrganisationTarget,
            Quota,
            AuditEntry,
        )
    }


def test_loading_twice_changes_nothing(structure_data):
    first = structure_load(data=structure_data)
    assert first > 0
    before = counts()
    snapshot = list(Organisation.objects.values_list("code", "path", "name", "headcount").order_by("path"))
    assert structure_load(data=copy.deepcopy(structure_data)) == 0
    assert counts() == before
    assert list(Organisation.objects.values_list("code", "path", "name", "headcount").order_by("path")) == snapshot


def test_loading_creates_the_tree_people_councils_targets_and_quotas(structure):
    xn1 = Organisation.objects.get(code="XN1")
    assert [o.code for o in Organisation.objects.get_ancestors(xn1)] == ["TLD", "NGANH", "TCTA"]
    council = Council.objects.get(code="XN1-HD")
    assert council.quorum == 3 and council.threshold_display == "2/3" and council.ballot == "open"
    assert council.decision_days == 90
    assert Council.objects.get(code="XN2-HD").ballot == "secret"
    assert dict(council.memberships.values_list("user__username", "role")) == {
        "u1_chair": "chair",
        "u1_sec": "secretary",
        "u1_m1": "member",
    }
    assert OrganisationTarget.objects.get(organisation=xn1, phase__code="A").initiatives == 4
    assert Quota.objects.get(award="sector_certificate").cap == 10
    assert Quota.objects.get(award="monthly_commendation").per == "month"
    assert not User.objects.get(username="author1").has_usable_password()


def test_an_edited_file_updates_by_code_and_username_and_drops_unlisted_memberships(structure_data):
    structure_load(data=structure_data)
    edited = copy.deepcopy(structure_data)
    sector = edited["organisations"][0]["children"][0]
    corp_a = sector["children"][0]
    corp_a["name"] = "Công đoàn Tổng công ty A (đổi tên)"
    unit_council = corp_a["children"][0]["councils"][1]
    unit_council["members"] = [m for m in unit_council["members"] if m["username"] != "u1_m1"]
    unit_council["quorum"] = 2
    unit_council["threshold"] = "1/2"
    # move XN3 from TCTB to TCTA
    xn3 = sector["children"][1]["children"].pop()
    corp_a["children"].append(xn3)
    person = next(p for p in edited["people"] if p["username"] == "officer_a")
    person["roles"] = ["auditor"]
    person["full_name"] = "Cán Bộ Mới"
    structure_load(data=edited)

    assert Organisation.objects.get(code="TCTA").name.endswith("(đổi tên)")
    council = Council.objects.get(code="XN1-HD")
    assert council.quorum == 2 and council.threshold_display == "1/2"
    assert not Membership.objects.filter(council=council, user__username="u1_m1").exists()
    u1_m1 = User.objects.get(username="u1_m1")
    assert not u1_m1.has_perm("councils.vote", council)
    xn3_org = Organisation.objects.get(code="XN3")
    assert Organisation.objects.get_parent(xn3_org).code == "TCTA"
    assert xn3_org.path.startswith(Organisation.objects.get(code="TCTA").path)
    officer = User.objects.get(username="officer_a")
    assert officer.full_name == "Cán Bộ Mới"
    assert list(officer.role_assignments.values_list("role", flat=True)) == ["auditor"]
    assert not officer.has_perm("councils.act_as_officer", Organisation.objects.get(code="XN1"))
    assert officer.has_perm("councils.audit_in", Organisation.objects.get(code="XN1"))
    # permission changes are audited
    assert AuditEntry.objects.filter(action="remove_membership", details__user="u1_m1").exists()
    assert AuditEntry.objects.filter(action="revoke_role", details__user="officer_a").exists()
    # and loading the edited file again changes nothing
    assert structure_load(data=copy.deepcopy(edited)) == 0


def _sector(data):
    return data["organisations"][0]["children"][0]


BAD_FILES = [
    (
        "unknown parent",
        lambda d: d["organisations"].append({"code": "X9", "name": "Lạc", "level": "unit", "parent": "NOPE"}),
        "organisations[1].parent",
        "unknown parent 'NOPE'",
    ),
    (
        "duplicate code",
        lambda d: _sector(d)["children"][1]["children"].append({"code": "XN1", "name": "Trùng", "level": "unit"}),
        "organisations[0].children[0].children[1].children[1].code",
        "duplicate code 'XN1'",
    ),
    (
        "quorum larger than the members",
        lambda d: _sector(d)["children"][0]["children"][0]["councils"][1].update(quorum=4),
        "organisations[0].children[0].children[0].children[0].councils[1].quorum",
        "quorum 4 is larger than the 3 members",
    ),
    (
        "threshold not a fraction",
        lambda d: _sector(d)["children"][0]["children"][0]["councils"][1].update(threshold="3/2"),
        "organisations[0].children[0].children[0].children[0].councils[1].threshold",
        "not a fraction in (0, 1]",
    ),
    (
        "threshold zero",
        lambda d: _sector(d)["councils"][0].update(threshold=0),
        "organisations[0].children[0].councils[0].threshold",
        "not a fraction in (0, 1]",
    ),
    (
        "unknown person role",
        lambda d: d["people"][0].update(roles=["author", "king"]),
        "people[0].roles[1]",
        "unknown role 'king'",
    ),
    (
        "unknown member role",
        lambda d: _sector(d)["councils"][0]["members"][0].update(role="boss"),
        "organisations[0].children[0].councils[0].members[0].role",
        "unknown role 'boss'",
    ),
    (
        "unit without a parent",
        lambda d: d["organisations"].append({"code": "MOCOI", "name": "Mồ côi", "level": "unit"}),
        "organisations[1]",
        "a unit needs a parent",
    ),
    (
        "unknown level",
        lambda d: _sector(d).update(level="galaxy"),
        "organisations[0].children[0].level",
        "unknown level 'galaxy'",
    ),
    (
        "unknown council kind",
        lambda d: _sector(d)["councils"][0].update(kind="jury"),
        "organisations[0].children[0].councils[0].kind",
        "unknown council kind 'jury'",
    ),
    (
        "unknown member",
        lambda d: _sector(d)["councils"][0]["members"].append({"username": "ghost"}),
        "organisations[0].children[0].councils[0].members[3].username",
        "unknown user 'ghost'",
    ),
    (
        "person in an unknown organisation",
        lambda d: d["people"][1].update(organisation="NOWHERE"),
        "people[1].organisation",
        "unknown organisation 'NOWHERE'",
    ),
    (
        "target for an unknown phase",
        lambda d: _sector(d)["children"][0]["targets"].append({"phase": "Z", "initiatives": 3}),
        "organisations[0].children[0].children[0].targets[1].phase",
        "unknown phase 'Z'",
    ),
    (
        "negative headcount",
        lambda d: _sector(d).update(headcount=-5),
        "organisations[0].children[0].headcount",
        "must be an integer ≥ 0",
    ),
    (
        "unknown award",
        lambda d: d["programme"]["quotas"].append({"award": "medal", "cap": 1, "organisation": "NGANH"}),
        "programme.quotas[3].award",
        "unknown award 'medal'",
    ),
    (
        "duplicate username",
        lambda d: d["people"].append({"username": "author1", "organisation": "XN1"}),
        "people[27].username",
        "duplicate username 'author1'",
    ),
]


@pytest.mark.parametrize("name,mutate,path,message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_each_error_names_its_path(structure_data, name, mutate, path, message):
    mutate(structure_data)
    with translation.override("en"):
        errors = structure_validate(structure_data)
    matching = [e for e in errors if e.startswith(f"{path}: ")]
    assert matching, errors
    assert message in matching[0], matching
    # one language at a time: the same error in Vietnamese (the default) carries no English
    vietnamese = [e for e in structure_validate(structure_data) if e.startswith(f"{path}: ")][0]
    assert message not in vietnamese and " / " not in vietnamese, vietnamese


def test_a_bad_file_writes_nothing(structure_data):
    structure_load(data=copy.deepcopy(structure_data))
    before = counts()
    bad = copy.deepcopy(structure_data)
    _sector(bad)["name"] = "Tên mới không được ghi"
    bad["people"].append({"username": "newbie", "organisation": "XN1", "roles": ["author"]})
    _sector(bad)["councils"][0]["quorum"] = 99
    with pytest.raises(StructureError) as exc:
        structure_load(data=bad)
    assert any("quorum" in e for e in exc.value.errors)
    assert counts() == before
    assert Organisation.objects.get(code="NGANH").name == "Công đoàn ngành Thử"
    assert not User.objects.filter(username="newbie").exists()


def test_the_command_exits_non_zero_and_lists_every_error(tmp_path, structure_data, capsys):
    _sector(structure_data)["councils"][0]["quorum"] = 9
    structure_data["people"][0]["roles"] = ["wizard"]
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(structure_data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as exc, translation.override("en"):
        call_command("load_structure", str(f))
    err = capsys.readouterr().err
    assert "organisations[0].children[0].councils[0].quorum" in err
    assert "people[0].roles[0]" in err
    assert "nothing was written" in str(exc.value)
    assert Organisation.objects.count() == 0


def test_the_command_refuses_broken_json_and_missing_files(tmp_path, capsys):
    f = tmp_path / "broken.json"
    f.write_text('{"organisations": [', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("load_structure", str(f))
    assert "JSON không hợp lệ (dòng 1" in capsys.readouterr().err
    with pytest.raises(CommandError), translation.override("en"):
        call_command("load_structure", str(tmp_path / "missing.json"))
    assert "file not found" in capsys.readouterr().err


def test_the_command_loads_yaml(tmp_path, structure_data, capsys):
    import yaml

    f = tmp_path / "structure.yaml"
    f.write_text(yaml.safe_dump(structure_data, allow_unicode=True), encoding="utf-8")
    call_command("load_structure", str(f))
    assert Organisation.objects.filter(code="XN3").exists()
    call_command("load_structure", str(f))
    assert "0 thay đổi" in capsys.readouterr().out


def test_the_contract_example_and_demo_files_load(db):
    from pathlib import Path

    from web.management.commands.seed_demo import STRUCTURE
    from workflow.structure import structure_load_file

    structure_load_file(path=STRUCTURE)
    assert Organisation.objects.get_parent(Organisation.objects.get(code="PCBD")).code == "EVNSPC"
    smoke = Path(__file__).resolve().parents[2].parent / "shared" / "contract-smoke" / "structure.json"
    if smoke.exists():
        structure_load_file(path=smoke)
        assert Council.objects.get(code="PCBD-HD").memberships.count() == 3
