"""A unit's administrator tries the side doors around the actions, through the real admin pages
(finding 3), a unit's officer tries to spend the sector's commendations (finding 7), and someone
guesses a password 40 times (finding 8). Every attempt must fail; every permitted change must
leave an entry in the trail."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.forms import MultiWidget
from django.test import Client

from audit.models import AuditEntry
from awards.models import Award, Certificate, Quota
from councils.models import Council, Organisation, OrganisationMove, User
from initiatives.models import Initiative, State

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-thu-nghiem-2026"


@pytest.fixture
def world(structure_data):
    """The base tree plus a unit's admin (XN1), a corporation's admin (TCTA), a person of XN1 who
    sits on the corporation's council, one who is its substitute, and a superuser."""
    from councils.actions import user_create
    from workflow.structure import structure_load

    structure_data["people"] += [
        {"username": "admin_x1", "full_name": "Quản Trị XN1", "organisation": "XN1", "roles": ["admin"]},
        {"username": "admin_a", "full_name": "Quản Trị TCT A", "organisation": "TCTA", "roles": ["admin"]},
        {"username": "x1_corp", "full_name": "Người XN1 ở hội đồng TCT", "organisation": "XN1", "roles": []},
        {"username": "x1_sub", "full_name": "Người XN1 dự khuyết hội đồng TCT", "organisation": "XN1", "roles": []},
    ]
    corporation = structure_data["organisations"][0]["children"][0]["children"][0]
    corporation["councils"][1]["members"].append({"username": "x1_corp"})
    corporation["councils"][1]["substitutes"] = ["x1_sub"]
    structure_load(data=structure_data)
    root = user_create(actor=None, username="root", organisation=None, is_staff=True, is_superuser=True)
    users = {u.username: u for u in User.objects.all()}
    for u in users.values():
        u.refresh_from_db()
    users["root"] = root
    return users


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(response) -> dict:
    """The POST an admin change page would send back unchanged (its form and inline formsets)."""

    def value(v):
        if hasattr(v, "pk"):
            return v.pk
        if isinstance(v, list | tuple | set) or hasattr(v, "all"):
            items = v.all() if hasattr(v, "all") else v
            return [getattr(i, "pk", i) for i in items]
        if isinstance(v, datetime.date):
            return v.isoformat()
        return "" if v is None else v

    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        if field.disabled:
            continue
        v = form.initial.get(name, field.initial)
        if v is False:
            continue
        if isinstance(field.widget, MultiWidget):  # e.g. a date and a time
            for i, part in enumerate(field.widget.decompress(v)):
                data[f"{name}_{i}"] = part.isoformat() if hasattr(part, "isoformat") else value(part)
            continue
        data[name] = "on" if v is True else value(v)
    for inline in response.context["inline_admin_formsets"]:
        fs = inline.formset
        mgmt = fs.management_form
        for name in mgmt.fields:
            data[f"{fs.prefix}-{name}"] = mgmt.initial.get(name, mgmt[name].value())
        for f in fs.forms:
            for name, field in f.fields.items():
                v = f.initial.get(name, field.initial)
                if v is not None and v is not False:
                    data[f"{f.prefix}-{name}"] = value(v)
    return data


def change_url(obj) -> str:
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"


def refused(response) -> bool:
    """403, 404, or the admin's "does not exist" redirect to its index: nothing was shown or done."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"].rstrip("/").endswith("/admin")


def test_a_units_admin_sees_only_their_subtree(world, insider):
    c = signed_in(world["admin_x1"])
    insider.tried("as XN1's admin, list people, councils, organisations, quotas, the trail, dossiers")
    people = c.get("/admin/councils/user/").content.decode()
    assert "author1" in people and "f_chair" not in people and "author2" not in people
    councils = c.get("/admin/councils/council/").content.decode()
    assert "XN1-HD" in councils and "XN2-HD" not in councils and "NGANH-HD" not in councils
    orgs = c.get("/admin/councils/organisation/", {"q": "XN"}).content.decode()
    assert "XN1" in orgs and "XN2" not in orgs and "XN3" not in orgs
    quotas = c.get("/admin/awards/quota/").content.decode()
    assert "NGANH" not in quotas
    trail = c.get("/admin/audit/auditentry/")
    shown = [e.pk for e in trail.context["cl"].result_list]
    xn1 = Organisation.objects.get(code="XN1").path
    assert shown and all(AuditEntry.objects.get(pk=pk).scope_path.startswith(xn1) for pk in shown)
    insider.held("every list holds only XN1's subtree")

    insider.tried("tamper with the list's URL: ?organisation__id__exact=<the federation>")
    tld = Organisation.objects.get(code="TLD")
    r = c.get("/admin/councils/user/", {"organisation__id__exact": tld.pk})
    assert "f_chair" not in r.content.decode()
    insider.held("the filter only narrows the subtree: no federation member appears")

    insider.tried(
        "open the change pages of a federation member, another unit's council, the corporation, the sector's quota"
    )
    quota = Quota.objects.get(award=Award.MONTHLY_COMMENDATION)
    for obj in (world["f_chair"], Council.objects.get(code="XN2-HD"), Organisation.objects.get(code="TCTA"), quota):
        r = c.get(change_url(obj))
        assert refused(r), (obj, r.status_code)
        assert c.get(change_url(obj).replace("change/", "history/")).status_code != 200
    insider.held("outside the subtree the admin answers as if the object did not exist")


def test_lookups_and_choices_stay_in_the_subtree(world, insider):
    c = signed_in(world["admin_x1"])
    insider.tried("the autocomplete endpoint for organisations and people, all terms")
    for params in (
        {"app_label": "councils", "model_name": "user", "field_name": "organisation", "term": ""},
        {"app_label": "initiatives", "model_name": "organisationtarget", "field_name": "organisation", "term": "X"},
    ):
        r = c.get("/admin/autocomplete/", params)
        assert r.status_code == 200, r.content
        codes = {row["text"] for row in r.json()["results"]}
        assert codes and all("XN1" in text for text in codes), codes
    insider.held("autocomplete lists only XN1")

    insider.tried("a raw id outside the subtree: move XN1's author1 into XN3 by posting its id")
    author = world["author1"]
    page = c.get(change_url(author))
    assert page.status_code == 200
    data = form_data(page)
    data["organisation"] = Organisation.objects.get(code="XN3").pk
    r = c.post(change_url(author), data)
    assert r.status_code == 200 and "organisation" in r.context["adminform"].form.errors
    author.refresh_from_db()
    assert author.organisation.code == "XN1"
    insider.held("a choice outside the subtree is a form error; nothing changed")


def test_a_federation_members_password_cannot_be_set(world, insider):
    c = signed_in(world["admin_x1"])
    before = AuditEntry.objects.filter(action="set_password").count()
    for victim, how in (
        (world["f_chair"], "a federation council chair"),
        (world["x1_corp"], "an XN1 person on TCTA's council"),
        (world["x1_sub"], "an XN1 person who is a substitute on TCTA's council"),
    ):
        insider.tried(f"set the password of {how} through /admin/…/password/")
        old = User.objects.get(pk=victim.pk).password
        url = f"/admin/councils/user/{victim.pk}/password/"
        assert c.get(url).status_code in (403, 404)
        r = c.post(url, {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"})
        assert r.status_code in (403, 404)
        assert User.objects.get(pk=victim.pk).password == old
    assert AuditEntry.objects.filter(action="set_password").count() == before
    insider.held("403/404, the passwords are untouched: no account that reaches above XN1 can be taken over")

    insider.tried("log in as them afterwards")
    r = Client().post("/accounts/login/", {"username": "f_chair", "password": PASSWORD})
    assert "_auth_user_id" not in r.wsgi_request.session
    insider.held("the guessed password does not sign in")


def test_nobody_below_a_superuser_grants_staff_superuser_groups_or_permissions(world, insider):
    admin_x1, author = world["admin_x1"], world["author1"]
    c = signed_in(admin_x1)
    group = Group.objects.get(name__startswith="Quản trị công đoàn")
    perm = Permission.objects.get(codename="change_user")
    for target in (admin_x1, author):
        insider.tried(f"post is_superuser, is_staff, groups and user_permissions on {target.username}'s page")
        page = c.get(change_url(target))
        assert page.status_code == 200
        data = form_data(page)
        data.update(is_superuser="on", is_staff="on", groups=[group.pk], user_permissions=[perm.pk])
        c.post(change_url(target), data)
        target = User.objects.get(pk=target.pk)
        assert not target.is_superuser
        assert not target.user_permissions.exists()
        assert set(target.groups.all()) == set(world[target.username].groups.all())
        assert target.is_staff == world[target.username].is_staff
    insider.held("the flags, groups and permissions are read-only for a union's admin: nothing changed")

    insider.tried("add myself to a group, or make a group, on the group pages")
    assert c.post(change_url(group), {"name": group.name, "permissions": [perm.pk]}).status_code == 403
    assert c.post("/admin/auth/group/add/", {"name": "mine"}).status_code == 403
    assert not Group.objects.filter(name="mine").exists()
    insider.held("groups are read-only for everyone in the admin")

    insider.tried("make an API token for the federation chair (to act as them)")
    r = c.post("/admin/authtoken/tokenproxy/add/", {"user": world["f_chair"].pk})
    assert r.status_code == 403
    insider.held("tokens are made only by manage.py drf_create_token")


def test_another_unions_council_rules_cannot_be_changed(world, insider):
    council = Council.objects.get(code="XN2-HD")
    c = signed_in(world["admin_x1"])
    insider.tried("XN1's admin posts XN2's council: open ballot, quorum 1")
    r = c.post(
        change_url(council),
        {"name": "", "quorum": 1, "threshold": "1/3", "ballot": "open", "decision_days": 90},
    )
    assert refused(r), r.status_code
    council.refresh_from_db()
    assert (council.ballot, council.quorum) == ("secret", 2)
    assert not AuditEntry.objects.filter(action="update_council", object_id=str(council.pk)).exists()
    insider.held("refused; XN2-HD keeps its secret ballot and quorum")


def test_an_organisation_cannot_be_moved_outside_the_subtree(world, insider):
    xn1, xn2, tctb = (Organisation.objects.get(code=code) for code in ("XN1", "XN2", "TCTB"))
    c = signed_in(world["admin_x1"])
    insider.tried("XN1's admin drags XN1 under TCTB in the tree")
    r = c.post("/admin/councils/organisation/move/", {"node": xn1.pk, "target": tctb.pk, "relation": "child"})
    assert r.status_code in (400, 403)
    insider.tried("TCTA's admin drags XN2 under TCTB (outside TCTA), then tries the form's parent field")
    a = signed_in(world["admin_a"])
    r = a.post("/admin/councils/organisation/move/", {"node": xn2.pk, "target": tctb.pk, "relation": "child"})
    assert r.status_code in (400, 403)
    page = a.get(change_url(xn2))
    data = form_data(page)
    data["parent"] = tctb.pk
    r = a.post(change_url(xn2), data)
    assert r.status_code == 200 and "parent" in r.context["adminform"].form.errors
    for org in (xn1, xn2):
        assert Organisation.objects.get_parent(Organisation.objects.get(pk=org.pk)).code == "TCTA"
    assert not OrganisationMove.objects.exists()
    insider.held("nothing moved, no OrganisationMove: moves stay inside what one administers")


def test_the_trail_cannot_be_edited(world, insider):
    c = signed_in(world["admin_x1"])
    xn1 = Organisation.objects.get(code="XN1").path
    mine = AuditEntry.objects.filter(scope_path__startswith=xn1).first()
    other = AuditEntry.objects.exclude(scope_path__startswith=xn1).first()
    insider.tried("post a changed comment on an entry of XN1, and on one outside, and delete one")
    for entry in (mine, other):
        r = c.post(change_url(entry), {"comment": "đã sửa"})
        assert r.status_code in (302, 403)
        entry.refresh_from_db()
        assert entry.comment != "đã sửa"
        assert c.post(change_url(entry).replace("change/", "delete/"), {"post": "yes"}).status_code in (302, 403)
        assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert refused(c.get(change_url(other)))
    insider.held("the trail is read-only; entries outside the subtree are not even shown")


def recognised_initiative(api, users):
    from tests.conftest import draft_payload

    r = api(users["author1"]).post("/api/v1/initiatives/", draft_payload(), format="json")
    assert r.status_code == 201, r.content
    when = datetime.datetime(2025, 1, 15, 9, 0, tzinfo=datetime.UTC)
    Initiative.objects.filter(pk=r.json()["id"]).update(state=State.SECTOR_REVIEW, recognised_at=when)
    return Initiative.objects.get(pk=r.json()["id"])


def test_a_units_officer_cannot_fill_the_sectors_commendations(world, api, insider):
    initiative = recognised_initiative(api, world)
    officer = world["officer_x1"]
    insider.tried("XN1's officer selects for March through the API, naming XN1 (the quota is the sector's)")
    r = api(officer).post(
        "/api/v1/awards/monthly/2025-03/", {"organisation": "XN1", "initiatives": [initiative.pk]}, format="json"
    )
    assert r.status_code == 403 and "NGANH" in r.json()["detail"]
    insider.tried("… and through the committee page's form")
    c = signed_in(officer)
    page = c.get("/awards/", {"organisation": "XN1", "month": "2025-03"}).content.decode()
    assert "awards/monthly/select/" not in page
    c.post("/awards/monthly/select/", {"organisation": "XN1", "month": "2025-03", "initiatives": [initiative.pk]})
    assert not Certificate.objects.filter(award=Award.MONTHLY_COMMENDATION).exists()
    insider.held("403 with the quota owner named; the page offers no form; no commendation written")

    insider.tried("the sector's committee (its council's chair) selects the same initiative")
    r = api(world["s_chair"]).post(
        "/api/v1/awards/monthly/2025-03/", {"organisation": "XN1", "initiatives": [initiative.pk]}, format="json"
    )
    assert r.status_code == 201
    insider.held("the quota owner's committee may")


def test_permitted_changes_in_the_subtree_go_through_the_actions_and_the_trail(world, insider):
    c = signed_in(world["admin_x1"])
    council = Council.objects.get(code="XN1-HD")
    insider.tried("XN1's admin sets XN1-HD to a secret ballot with quorum 2 on its page")
    page = c.get(change_url(council))
    data = form_data(page)
    data.update(ballot="secret", quorum=2)
    r = c.post(change_url(council), data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    council.refresh_from_db()
    assert (council.ballot, council.quorum) == ("secret", 2)
    entry = AuditEntry.objects.get(action="update_council", object_id=str(council.pk))
    assert entry.actor_name == "admin_x1"
    assert entry.details["before"] == {"quorum": 3, "ballot": "open"}
    assert entry.details["after"] == {"quorum": 2, "ballot": "secret"}
    insider.held("changed through council_update, audited with before and after")

    insider.tried("a quorum of 7 for a three-member council, and a threshold of 3/2")
    data.update(quorum=7, threshold="3/2")
    r = c.post(change_url(council), data)
    assert r.status_code == 200
    assert {"quorum", "threshold"} <= set(r.context["adminform"].form.errors)
    insider.held("form errors, no 500, nothing written")

    author = world["author1"]
    insider.tried("set author1's password to '12345' then to a good one")
    url = f"/admin/councils/user/{author.pk}/password/"
    r = c.post(url, {"password1": "12345", "password2": "12345", "usable_password": "true"})
    assert r.status_code == 200 and r.context["form"].errors
    r = c.post(url, {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"})
    assert r.status_code == 302
    author.refresh_from_db()
    assert author.check_password(PASSWORD)
    entry = AuditEntry.objects.get(action="set_password", object_id=str(author.pk))
    assert (
        entry.actor_name == "admin_x1"
        and PASSWORD not in str(entry.details)
        and author.password not in str(entry.details)
    )
    insider.held("a weak password is refused by the validators; a good one is set and audited, never logged")

    insider.tried("rename XN1 and change its headcount; deactivate author1b; add a person to XN1")
    xn1 = Organisation.objects.get(code="XN1")
    data = form_data(c.get(change_url(xn1)))
    data.update(name="Công đoàn Xí nghiệp Một", headcount=310)
    assert c.post(change_url(xn1), data).status_code == 302
    assert AuditEntry.objects.get(action="update_organisation").details["after"] == {
        "name": "Công đoàn Xí nghiệp Một",
        "headcount": 310,
    }
    other = world["author1b"]
    data = form_data(c.get(change_url(other)))
    data.pop("is_active", None)
    assert c.post(change_url(other), data).status_code == 302
    assert not User.objects.get(pk=other.pk).is_active
    assert AuditEntry.objects.get(action="update_user", object_id=str(other.pk)).details["after"] == {
        "is_active": False
    }
    r = c.post(
        "/admin/councils/user/add/",
        {
            "username": "moi_xn1",
            "full_name": "Người Mới",
            "organisation": xn1.pk,
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert r.status_code == 302, r.context["adminform"].form.errors
    new = User.objects.get(username="moi_xn1")
    assert new.organisation == xn1 and new.check_password(PASSWORD) and not new.is_staff
    assert AuditEntry.objects.filter(action="create_user", object_id=str(new.pk), actor_name="admin_x1").exists()
    r = c.post(
        "/admin/councils/user/add/",
        {"username": "ngoai", "organisation": Organisation.objects.get(code="XN3").pk, "usable_password": "false"},
    )
    assert r.status_code == 200 and not User.objects.filter(username="ngoai").exists()
    insider.held("each permitted change is in the trail with its actor; a person outside the subtree is a form error")


def test_a_move_inside_the_subtree_is_recorded_and_the_counters_stay_right(world, insider):
    from initiatives.counters import progress_counters_current

    xn1, xn2, tcta = (Organisation.objects.get(code=code) for code in ("XN1", "XN2", "TCTA"))
    a = signed_in(world["admin_a"])
    insider.tried("TCTA's admin moves XN2 under XN1 with the form, effective 1 March 2026")
    data = form_data(a.get(change_url(xn2)))
    data.update(parent=xn1.pk, effective="2026-03-01")
    r = a.post(change_url(xn2), data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    move = OrganisationMove.objects.get(organisation=xn2)
    assert (move.old_parent, move.new_parent, move.effective) == (tcta, xn1, datetime.date(2026, 3, 1))
    assert AuditEntry.objects.get(action="move_organisation").actor_name == "admin_a"
    assert progress_counters_current()
    insider.held("OrganisationMove recorded, audited, counters rebuilt for the new tree")

    insider.tried("… and drags it back under TCTA in the tree")
    r = a.post("/admin/councils/organisation/move/", {"node": xn2.pk, "target": tcta.pk, "relation": "child"})
    assert r.status_code == 200
    assert Organisation.objects.get_parent(Organisation.objects.get(pk=xn2.pk)) == tcta
    assert OrganisationMove.objects.filter(organisation=xn2).count() == 2 and progress_counters_current()
    insider.held("drag and drop goes through the same audited move")


def test_a_superusers_changes_are_audited_too(world, insider):
    root = signed_in(world["root"])
    author = world["author1"]
    group = Group.objects.get(name__startswith="Quản trị công đoàn")
    insider.tried("a superuser makes author1 staff and puts them in the admins' group")
    data = form_data(root.get(change_url(author)))
    data.update(is_staff="on", groups=[group.pk])
    r = root.post(change_url(author), data)
    assert r.status_code == 302
    author = User.objects.get(pk=author.pk)
    assert author.is_staff and group in author.groups.all()
    entry = AuditEntry.objects.get(action="update_user", object_id=str(author.pk))
    assert entry.actor_name == "root"
    assert entry.details["before"] == {"is_staff": False, "groups": []}
    assert entry.details["after"] == {"is_staff": True, "groups": [group.name]}
    insider.held("full power, and in the trail with before and after")


@pytest.mark.parametrize("door", ["/accounts/login/", "/admin/login/"])
def test_forty_wrong_passwords_then_the_right_one(world, insider, door):
    target = world["admin_n"]
    target.set_password(PASSWORD)
    target.save()
    client = Client()
    insider.tried(f"40 wrong passwords for the sector's admin on {door}, then the right one")
    answers = [
        client.post(door, {"username": "admin_n", "password": f"doan-sai-{i:02d}-x"}).status_code for i in range(40)
    ]
    r = client.post(door, {"username": "admin_n", "password": PASSWORD})
    assert r.status_code == 429 and "_auth_user_id" not in client.session
    assert answers.count(429) >= 40 - 5
    entries = AuditEntry.objects.filter(action="login_locked_out")
    assert entries.count() == 1
    assert entries[0].details["username"] == "admin_n" and "doan-sai" not in str(entries[0].details)
    insider.held(
        "locked after 5 (HTTP 429), the right password does not open it; one audit entry names the username, no password"
    )


def _password_via_admin(client, user):
    url = f"/admin/councils/user/{user.pk}/password/"
    r = client.post(url, {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"})
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    return User.objects.get(pk=user.pk)


def _signs_in(username) -> bool:
    r = Client().post("/accounts/login/", {"username": username, "password": PASSWORD})
    return "_auth_user_id" in r.wsgi_request.session


def test_a_password_an_admin_chose_does_not_survive_a_promotion_beyond_them(world, insider):
    from councils.actions import membership_set, role_grant, substitutes_set

    c = signed_in(world["admin_x1"])
    corporation_council = Council.objects.get(code="TCTA-HD")
    for how, promote in (
        ("a seat on TCTA's council", lambda u: membership_set(council=corporation_council, user=u, role="member")),
        ("a substitute's place on TCTA's council", lambda u: substitutes_set(council=corporation_council, users=[u])),
        (
            "the officer's role on TCTA",
            lambda u: role_grant(user=u, organisation=Organisation.objects.get(code="TCTA"), role="officer"),
        ),
    ):
        victim = world["author1"]
        insider.tried(f"XN1's admin sets author1's password (allowed), then author1 is given {how}")
        victim = _password_via_admin(c, victim)
        assert victim.password_set_by == world["admin_x1"] and _signs_in("author1")
        with transaction.atomic():
            promote(victim)
        victim.refresh_from_db()
        assert not victim.has_usable_password() and victim.password_set_by is None
        assert not _signs_in("author1")
        entry = AuditEntry.objects.filter(action="disable_password", object_id=str(victim.pk)).latest("seq")
        assert entry.details == {"user": "author1", "password_set_by": "admin_x1", "reason": "beyond_setter"}
        insider.held("the password XN1's admin knows is disabled the moment author1 reaches beyond XN1; audited")
        # undo the promotion for the next round
        with transaction.atomic():
            from councils.models import CouncilSubstitute, Membership, RoleAssignment

            Membership.objects.filter(user=victim, council=corporation_council).delete()
            CouncilSubstitute.objects.filter(user=victim).delete()
            RoleAssignment.objects.filter(user=victim, role="officer").delete()


def test_an_admin_who_loses_the_role_loses_the_passwords_they_chose(world, insider):
    from councils.actions import role_revoke
    from councils.models import RoleAssignment

    insider.tried("XN1's admin sets author1b's password, then loses the admin role")
    victim = _password_via_admin(signed_in(world["admin_x1"]), world["author1b"])
    assert _signs_in("author1b")
    with transaction.atomic():
        role_revoke(assignment=RoleAssignment.objects.get(user=world["admin_x1"], role="admin"), actor=world["admin_a"])
    assert not _signs_in("author1b")
    assert AuditEntry.objects.filter(action="disable_password", object_id=str(victim.pk)).exists()
    insider.held("a former admin's chosen passwords no longer sign anyone in")


def test_a_password_chosen_by_someone_who_still_manages_the_person_stays(world):
    from councils.actions import membership_set

    victim = _password_via_admin(signed_in(world["admin_a"]), world["author1"])
    with transaction.atomic():
        membership_set(council=Council.objects.get(code="TCTA-HD"), user=victim, role="member")
    assert _signs_in("author1")
    assert not AuditEntry.objects.filter(action="disable_password").exists()


def test_the_structure_file_moves_an_admin_without_dropping_their_passwords(world, structure_data):
    """Grants come before revokes: an admin whose role moves from XN1 to TCTA (broader) never holds
    no role in between, so the passwords they chose in XN1 stay usable."""
    from workflow.structure import structure_load

    _password_via_admin(signed_in(world["admin_x1"]), world["author1"])
    for person in structure_data["people"]:
        if person["username"] == "admin_x1":
            person["organisation"] = "TCTA"
    structure_load(data=structure_data)
    assert _signs_in("author1")
