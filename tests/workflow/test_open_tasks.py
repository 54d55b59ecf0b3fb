"""The inbox read from the open-work table: every kind of open work appears and disappears for
exactly the right people, and the table always agrees with the inbox searched from the dossiers."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _inbox(api, user):
    r = api(user).get("/api/v1/tasks/", {"page_size": 500})
    assert r.status_code == 200, r.content
    return {row["id"] for row in r.json()["results"]}


def _agree():
    from workflow.opentask_check import inbox_differences, people_with_work

    assert inbox_differences(people_with_work()) == []


def test_each_kind_of_open_work_reaches_exactly_the_right_people(flow, api, users):
    from councils.actions import membership_remove, membership_set
    from councils.models import Council, MemberRole, Membership

    who = ["author1", "u1_m1", "u1_adv", "a_adv", "u1_chair", "u1_sec", "c_chair", "c_m1", "outsider", "officer_a"]

    def holders(iid):
        return {name for name in who if iid in _inbox(api, users[name])}

    # a draft naming a council member as co-author: the author must submit, the co-author confirm
    iid = flow.draft(authors=[{"username": "author1", "share_percent": 60}, {"username": "u1_m1", "share_percent": 40}])
    assert holders(iid) == {"author1", "u1_m1"}
    _agree()
    r = api(users["u1_m1"]).post(f"/api/v1/initiatives/{iid}/authorship/", {"decision": "confirm"}, format="json")
    assert r.status_code in (200, 201), r.content
    assert holders(iid) == {"author1", "u1_m1"}  # now to submit, as a confirmed author
    flow.act("author1", iid, "submit")
    assert holders(iid) == {"u1_adv"}  # the unit's own team, not the corporation's
    _agree()
    flow.act("u1_adv", iid, "forward")
    # the unit council: members vote, chair and secretary close; the co-author member is recused
    assert holders(iid) == {"u1_chair", "u1_sec"}
    _agree()
    council = Council.objects.get(code="XN1-HD")
    membership_set(council=council, user=users["outsider"], role=MemberRole.MEMBER)
    assert holders(iid) == {"u1_chair", "u1_sec", "outsider"}  # a member who joins sees it at once
    _agree()
    flow.vote("outsider", iid, "approve", score=80)
    assert "outsider" not in holders(iid)  # voted: nothing left to do
    membership_remove(membership=Membership.objects.get(council=council, user=users["outsider"]))
    assert "outsider" not in holders(iid)
    flow.vote("u1_chair", iid, "approve", score=80)
    assert "u1_chair" in holders(iid)  # voted, still to close
    flow.vote("u1_sec", iid, "approve", score=80)
    _agree()
    flow.act("u1_chair", iid, "close")
    assert flow.state(iid) == "corporation_council"
    assert holders(iid) == {"c_chair", "c_m1"}
    _agree()
    flow.council_decides(iid, ["c_chair", "c_m1"], "approve", "c_chair")
    assert holders(iid) == set()
    _agree()


def test_returned_withdrawn_and_confidential_dossiers(flow, api, users):
    iid = flow.draft(confidential=True)
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "return", comment="bổ sung số liệu")
    assert iid in _inbox(api, users["author1"]) and iid not in _inbox(api, users["u1_adv"])
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "forward")
    # a confidential dossier reaches its council's members, and nobody else
    assert iid in _inbox(api, users["u1_m1"]) and iid not in _inbox(api, users["outsider"])
    other = flow.draft()
    flow.act("author1", other, "withdraw")
    assert other not in _inbox(api, users["author1"])
    _agree()


def test_the_check_finds_a_missing_row_and_the_rebuild_mends_it(flow, users):
    from initiatives.models import OpenTask

    flow.to_unit_council()
    call_command("open_tasks", "--check")
    OpenTask.objects.filter(kind="vote").delete()
    with pytest.raises(CommandError, match="inboxes differ"):
        call_command("open_tasks", "--check")
    call_command("open_tasks", "--rebuild", "--check")
    _agree()


def _queries(client, url):
    client.get(url)  # the first visit of a filtered inbox page remembers the filter in the session
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, r.content[:300]
    return len(ctx.captured_queries), r


def timezone_month() -> str:
    from django.utils import timezone

    return timezone.localtime().strftime("%Y-%m")


@pytest.fixture
def a_page_of_dossiers(request, flow):
    """Seven dossiers at the unit council, three drafts and three submitted: built through the API
    once per test process (``tests.conftest.once``), put back for each parameter below."""
    from tests.conftest import once

    def build():
        for _ in range(7):
            flow.to_unit_council()
        for _ in range(3):
            flow.draft()
            flow.act("author1", flow.draft(), "submit")

    once(request, "open-tasks-a-page-of-dossiers", build)


@pytest.mark.parametrize(
    "who, url",
    [
        ("officer_a", "/api/v1/initiatives/"),
        ("officer_a", "/api/v1/initiatives/?organisation=XN1&state=unit_council"),
        ("u1_chair", "/api/v1/initiatives/?state=unit_council&category=technical"),
        ("officer_a", "/initiatives/"),
        ("u1_chair", "/initiatives/?state=unit_council"),
        # the inbox's actions per row are answered for the whole page at once
        ("u1_chair", "/api/v1/tasks/"),
        ("u1_chair", "/tasks/"),
        ("author1", "/tasks/"),
        ("u1_adv", "/api/v1/tasks/"),
        # the filters with an index of their own (track i12l): a month, a due date, a council's field
        ("officer_a", "/api/v1/initiatives/?submitted_month={month}"),
        ("officer_a", "/api/v1/initiatives/?due=overdue"),
        ("u1_adv", "/api/v1/initiatives/?submitted_month={month}"),
        ("u1_adv", "/api/v1/initiatives/?category=technical"),
        ("u1_chair", "/api/v1/initiatives/?category=technical&due=overdue"),
        ("officer_a", "/initiatives/?due=overdue"),
        ("officer_a", "/initiatives/?organisation=XN1&state=unit_council"),
        ("u1_adv", "/initiatives/"),
        ("u1_chair", "/tasks/?due=overdue"),
    ],
)
def test_queries_do_not_grow_with_the_page(a_page_of_dossiers, api, users, client, who, url):
    if "due=overdue" in url:  # the council's dossiers past their due date, their open work too
        import datetime

        from django.utils import timezone

        from initiatives.models import Initiative
        from initiatives.opentasks import tasks_sync

        for i in Initiative.objects.exclude(due_at=None):
            i.due_at = timezone.now() - datetime.timedelta(days=1)
            i.save(update_fields=["due_at"])
            tasks_sync(i)
    url = url.replace("{month}", timezone_month())
    client.force_login(users[who])
    web = not url.startswith("/api/")
    get = client if web else api(users[who])
    sep = "&" if "?" in url else "?"
    few, r = _queries(get, f"{url}{sep}page_size=2")
    many, r = _queries(get, f"{url}{sep}page_size=100")
    if not web:
        assert r.json()["count"] >= 3 and len(r.json()["results"]) >= 3
    assert few == many


def test_counts_are_exact_up_to_the_cap(flow, api, users, settings):
    for _ in range(4):
        flow.draft()
    settings.LIST_EXACT_COUNT_CAP = 10
    body = api(users["author1"]).get("/api/v1/initiatives/", {"page_size": 2}).json()
    assert body["count"] == 4 and body["count_exact"] is True and body["next"]
    assert api(users["author1"]).get("/api/v1/initiatives/", {"page": 9}).status_code == 404


@pytest.mark.postgres
def test_past_the_cap_the_count_is_the_planner_estimate(flow, api, users, settings):
    for _ in range(6):
        flow.draft()
    settings.LIST_EXACT_COUNT_CAP = 3
    client = api(users["author1"])
    body = client.get("/api/v1/initiatives/", {"page_size": 2}).json()
    assert body["count_exact"] is False and body["count"] >= 4 and body["next"]
    last = client.get("/api/v1/initiatives/", {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 2 and last["next"] is None
    assert client.get("/api/v1/initiatives/", {"page_size": 2, "page": 4}).status_code == 404
