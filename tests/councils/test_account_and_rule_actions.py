"""The actions behind the admin's doors: council_update, organisation_update, user_update,
user_set_password, quota_update, target_set, eligibility_rule_save — permission against the
object, validation, and the trail; the structure file's passwords; the safety net under the
actions."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction

from audit.models import AuditEntry
from awards.actions import eligibility_rule_save, quota_update
from awards.models import Award, EligibilityRule, Quota
from councils.actions import council_update, organisation_update, user_create, user_set_password, user_update
from councils.models import Council, Organisation, User
from councils.selectors import user_manageable_by
from councils.structure import StructureError
from initiatives.actions import target_set
from initiatives.models import OrganisationTarget, Phase
from workflow.structure import structure_load

pytestmark = pytest.mark.django_db

GOOD = "mat-khau-rat-dai-2026"


@pytest.fixture
def admins(structure_data):
    structure_data["people"] += [
        {"username": "admin_x1", "full_name": "Quản Trị XN1", "organisation": "XN1", "roles": ["admin"]},
        {"username": "admin_a", "full_name": "Quản Trị TCT A", "organisation": "TCTA", "roles": ["admin"]},
    ]
    structure_load(data=structure_data)
    return {u.username: u for u in User.objects.all()}


def test_council_update_checks_the_council_and_audits_before_and_after(admins):
    council = Council.objects.get(code="XN2-HD")
    with pytest.raises(PermissionDenied):
        council_update(council_id=council.pk, actor=admins["admin_x1"], ballot="open", quorum=1)
    council_update(council_id=council.pk, actor=admins["admin_a"], ballot="open", threshold="1/2")
    council.refresh_from_db()
    assert (council.ballot, council.threshold_display) == ("open", "1/2")
    entry = AuditEntry.objects.get(action="update_council")
    assert entry.actor_name == "admin_a" and entry.scope_path == council.organisation.path
    assert entry.details["before"] == {"ballot": "secret", "threshold": "2/3"}
    assert entry.details["after"] == {"ballot": "open", "threshold": "1/2"}
    with pytest.raises(ValidationError) as e:
        council_update(council_id=council.pk, actor=admins["admin_a"], quorum=0, threshold="5/3", decision_days=0)
    assert set(e.value.message_dict) == {"quorum", "threshold", "decision_days"}
    with pytest.raises(PermissionDenied):  # what a council is, and whose it is: the structure file
        council_update(council_id=council.pk, actor=admins["admin_a"], kind="advisory")
    assert AuditEntry.objects.filter(action="update_council").count() == 1


def test_organisation_update_in_the_subtree_only_and_the_level_for_superusers(admins):
    xn2 = Organisation.objects.get(code="XN2")
    with pytest.raises(PermissionDenied):
        organisation_update(organisation_id=xn2.pk, actor=admins["admin_x1"], headcount=1)
    organisation_update(organisation_id=xn2.pk, actor=admins["admin_a"], headcount=250)
    with pytest.raises(PermissionDenied):
        organisation_update(organisation_id=xn2.pk, actor=admins["admin_a"], level="corporation")
    with pytest.raises(ValidationError):
        organisation_update(organisation_id=xn2.pk, actor=admins["admin_a"], name=" ")
    assert Organisation.objects.get(pk=xn2.pk).headcount == 250
    entry = AuditEntry.objects.get(action="update_organisation")
    assert entry.details == {"organisation": "XN2", "before": {"headcount": 200}, "after": {"headcount": 250}}


def test_who_manages_whom(admins):
    x1, a = admins["admin_x1"], admins["admin_a"]
    assert user_manageable_by(actor=x1, user=admins["author1"])
    assert not user_manageable_by(actor=x1, user=admins["author2"])  # XN2
    assert not user_manageable_by(actor=x1, user=admins["f_chair"])  # the federation
    assert user_manageable_by(actor=a, user=admins["u1_chair"])  # XN1 is under TCTA
    assert not user_manageable_by(actor=a, user=admins["admin_n"])  # the sector's admin
    assert not user_manageable_by(actor=x1, user=admins["a_adv"])  # TCTA's advisory team
    assert not user_manageable_by(actor=admins["officer_a"], user=admins["author1"])  # an officer is no admin


def test_user_update_keeps_privileges_for_superusers_and_audits(admins):
    x1, author = admins["admin_x1"], admins["author1"]
    for change in ({"is_superuser": True}, {"is_staff": False}, {"groups": []}):
        with pytest.raises(PermissionDenied):
            user_update(user_id=x1.pk, actor=x1, **change)
    with pytest.raises(PermissionDenied):  # to an organisation they do not administer
        user_update(user_id=author.pk, actor=x1, organisation=Organisation.objects.get(code="XN3"))
    with pytest.raises(ValidationError):
        user_update(user_id=author.pk, actor=x1, email="không phải e-mail")
    user_update(user_id=author.pk, actor=x1, email="tacgia1@example.org", position="Kỹ sư")
    entry = AuditEntry.objects.get(action="update_user", object_id=str(author.pk))
    assert entry.details["after"] == {"email": "tacgia1@example.org", "position": "Kỹ sư"}
    root = user_create(actor=None, username="root", organisation=None, is_superuser=True, is_staff=True)
    user_update(user_id=author.pk, actor=root, is_staff=True)
    assert User.objects.get(pk=author.pk).is_staff
    assert AuditEntry.objects.filter(action="update_user", actor_name="root").exists()


def test_user_set_password_validates_audits_and_never_logs_the_password(admins):
    x1, author, chair = admins["admin_x1"], admins["author1"], admins["f_chair"]
    with pytest.raises(PermissionDenied):
        user_set_password(user_id=chair.pk, actor=x1, password=GOOD)
    for weak in ("12345678901", "password123", "author1-2026", "ngan"):
        with pytest.raises(ValidationError) as e:
            user_set_password(user_id=author.pk, actor=x1, password=weak)
        assert "password" in e.value.message_dict
    user_set_password(user_id=author.pk, actor=x1, password=GOOD)
    author = User.objects.get(pk=author.pk)
    assert author.check_password(GOOD)
    entry = AuditEntry.objects.get(action="set_password")
    assert entry.details == {"user": "author1", "usable_password": True}
    assert GOOD not in entry.hash and author.password not in str(entry.details)
    user_set_password(user_id=author.pk, actor=x1, password=None)
    assert not User.objects.get(pk=author.pk).has_usable_password()


def test_quota_and_target_are_set_from_above(admins):
    quota = Quota.objects.get(award=Award.MONTHLY_COMMENDATION, organisation__code="NGANH")
    for who in ("admin_n", "admin_a", "admin_x1"):  # the sector's own admin does not raise its own cap
        with pytest.raises(PermissionDenied):
            quota_update(quota_id=quota.pk, actor=admins[who], cap=50)
    assert Quota.objects.get(pk=quota.pk).cap == 5
    phase = Phase.objects.get(code="A")
    xn1 = Organisation.objects.get(code="XN1")
    with pytest.raises(PermissionDenied):
        target_set(actor=admins["admin_x1"], organisation=xn1, phase=phase, initiatives=0)
    target_set(actor=admins["admin_a"], organisation=xn1, phase=phase, initiatives=6)
    assert OrganisationTarget.objects.get(organisation=xn1, phase=phase).initiatives == 6
    entry = AuditEntry.objects.get(action="set_target", actor_name="admin_a")
    assert entry.actor_name == "admin_a" and (entry.details["before"], entry.details["after"]) == (4, 6)
    with pytest.raises(ValidationError):
        target_set(actor=admins["admin_a"], organisation=xn1, phase=phase, initiatives=-1)


def test_quota_update_by_a_superuser_and_eligibility_rules_for_superusers_only(admins):
    root = user_create(actor=None, username="root", organisation=None, is_superuser=True, is_staff=True)
    quota = Quota.objects.get(award=Award.MONTHLY_COMMENDATION, organisation__code="NGANH")
    quota_update(quota_id=quota.pk, actor=root, cap=6)
    entry = AuditEntry.objects.get(action="update_quota")
    assert entry.details["before"] == {"cap": 5} and entry.details["after"] == {"cap": 6}
    rule = EligibilityRule.objects.first() or eligibility_rule_save(
        actor=None,
        award=Award.FEDERATION_CERTIFICATE,
        name="thử",
        min_benefit_vnd=80_000_000,
        years=1,
        applies_to="college_or_below",
    )
    with pytest.raises(PermissionDenied):
        eligibility_rule_save(actor=admins["admin_n"], rule_id=rule.pk, min_benefit_vnd=1)
    eligibility_rule_save(actor=root, rule_id=rule.pk, min_benefit_vnd=rule.min_benefit_vnd + 1)
    assert AuditEntry.objects.filter(action="update_eligibility_rule", actor_name="root").exists()


def test_the_structure_files_passwords_pass_the_validators(structure_data):
    structure_data["people"][3]["password"] = "123456"
    structure_data["people"][5]["password"] = "sangkien2026"
    with pytest.raises(StructureError) as e:
        structure_load(data=structure_data)
    bad = [line for line in e.value.errors if line.startswith("people[3].password: ")]
    assert bad and len(e.value.errors) == 1
    assert not User.objects.exists()


def test_the_demo_password_passes_the_validators():
    from django.contrib.auth.password_validation import validate_password

    from web.management.commands.seed_demo import PASSWORD

    assert PASSWORD == "sangkien2026"
    validate_password(PASSWORD, User(username="lan", full_name="Nguyễn Thị Lan", email="lan@example.org"))


def test_structure_loads_are_audited_and_a_second_load_changes_nothing(structure_data):
    structure_load(data=structure_data)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"create_organisation", "create_user", "create_council", "grant_role", "set_membership"} <= actions
    assert {"create_programme", "create_phase", "set_target", "create_quota"} <= actions
    assert AuditEntry.objects.get(action="create_user", details__user="admin_n").details["after"]["is_staff"]
    count = AuditEntry.objects.count()
    assert structure_load(data=structure_data) == 0
    assert AuditEntry.objects.count() == count
    structure_data["organisations"][0]["children"][0]["children"][0]["children"][1]["councils"][0]["quorum"] = 3
    structure_data["programme"]["quotas"][2]["cap"] = 6
    structure_data["programme"]["phases"][0]["target"] = 350
    structure_load(data=structure_data)
    entry = AuditEntry.objects.get(action="update_council")
    assert entry.actor_name == "" and entry.details["after"] == {"quorum": 3}
    assert AuditEntry.objects.get(action="update_quota").details["after"] == {"cap": 6}
    assert AuditEntry.objects.get(action="update_phase").details["after"] == {"target": 350}


def test_privileged_changes_outside_the_actions_are_caught_by_the_safety_net(structure):
    out = io.StringIO()
    call_command("createsuperuser", "--noinput", username="ops", email="ops@example.org", stdout=out)
    entry = AuditEntry.objects.get(action="account_changed_outside", details__user="ops")
    assert entry.details["created"] and entry.details["changed"]["is_superuser"] == [False, True]
    author = User.objects.get(username="author1")
    with transaction.atomic():  # what manage.py changepassword or a shell does
        author.set_password("mot-mat-khau-khac-2026")
        author.save()
        author.is_staff = True
        author.save(update_fields=["is_staff"])
    changes = [
        e.details["changed"] for e in AuditEntry.objects.filter(action="account_changed_outside").order_by("seq")
    ]
    assert {"password": ["…", "…"]} in changes and {"is_staff": [False, True]} in changes
    assert "mot-mat-khau-khac-2026" not in str(changes)
    author.full_name = "Đổi tên"
    author.save()  # not a privileged change: not the net's business
    assert AuditEntry.objects.filter(action="account_changed_outside").count() == 3
