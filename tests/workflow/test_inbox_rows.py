"""A page of the inbox read from the open-work rows (``workflow.selectors.InboxRows``, issue 12):
the same dossiers in the same order as the inbox filtered and ordered from the dossiers themselves,
an exact count past the list's cap, and a person's roles and seats read once per request."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from initiatives.models import Initiative
from initiatives.opentasks import tasks_sync

pytestmark = pytest.mark.django_db

FILTERS = [
    {"order": "due"},
    {"order": "newest"},
    {"order": "oldest"},
    {"order": "due", "due": "overdue"},
    {"order": "due", "due": "soon"},
    {"order": "due", "due": "none"},
]


@pytest.fixture
def spread(flow, users):
    """Dossiers before XN1's council due on different days (two on the same day, to test the tie on
    id), one voted on by its chair already, drafts of author1 (no due date), one naming the chair as
    co-author (the chair is recused from it)."""
    now = timezone.now()
    ids = []
    for days in (30, -3, 5, 5, 90, -40):
        iid = flow.to_unit_council()
        Initiative.objects.filter(pk=iid).update(due_at=now + timedelta(days=days))
        tasks_sync(Initiative.objects.get(pk=iid))  # a due date changed outside an action: its work follows
        ids.append(iid)
    flow.vote("u1_chair", ids[0], "approve", score=70)  # voted: still to close
    flow.vote("u1_m1", ids[1], "approve", score=70)
    for _ in range(3):
        ids.append(flow.draft())
    recused = flow.draft(
        authors=[{"username": "author1", "share_percent": 50}, {"username": "u1_chair", "share_percent": 50}]
    )
    ids.append(recused)
    return ids


@pytest.mark.parametrize("who", ["u1_chair", "u1_m1", "u1_sec", "author1", "u1_adv", "officer_a", "c_chair"])
def test_the_rows_are_the_dossiers_inbox_in_the_same_order(spread, users, who):
    from workflow.queue import queue_apply
    from workflow.selectors import InboxRows, inbox, inbox_rows

    user = users[who]
    for filters in FILTERS:
        want = list(queue_apply(inbox(user=user), filters).values_list("pk", flat=True))
        rows = inbox_rows(user=user, filters=filters)
        assert isinstance(rows, InboxRows)
        assert rows.count() == len(want), (who, filters)
        assert [i.pk for i in rows[0 : len(want) + 5]] == want, (who, filters)
        # any window of it, as the pages read it
        assert [i.pk for i in rows[1:3]] == want[1:3], (who, filters)
        assert rows.ids(2, 4) == want[2:4], (who, filters)


@pytest.mark.parametrize("who", ["u1_chair", "u1_m1", "author1", "u1_adv"])
def test_a_due_filter_counts_from_the_whole_inbox_as_from_its_own_rows(spread, users, who):
    """The inbox page counts the whole inbox and, in the same query, its dossiers by due date; a
    due filter's count taken from there is the count its own rows give, and no query is run for it."""
    from workflow.queue import queue_apply
    from workflow.selectors import InboxRows, inbox, inbox_rows

    user = users[who]
    whole = InboxRows(user=user, filters={"order": "due"})
    assert whole.count() == inbox(user=user).count()
    for due in ("overdue", "soon", "none"):
        filters = {"order": "due", "due": due}
        want = list(queue_apply(inbox(user=user), filters).values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as ctx:
            rows = inbox_rows(user=user, filters=filters, whole=whole)
            assert rows.count() == len(want) == whole.due_counts[due], (who, due)
        assert ctx.captured_queries == [], (who, due)
        assert [i.pk for i in rows[0 : len(want) + 5]] == want, (who, due)
        assert InboxRows(user=user, filters=filters).count() == len(want), (who, due)


def test_the_inbox_page_filtered_by_due_date_shows_both_counts(spread, client, users):
    from workflow.queue import queue_apply
    from workflow.selectors import inbox

    user = users["u1_chair"]
    client.force_login(user)
    overdue = queue_apply(inbox(user=user), {"order": "due", "due": "overdue"}).count()
    whole = inbox(user=user).count()
    assert 0 < overdue < whole
    r = client.get("/tasks/", {"due": "overdue"})
    assert r.status_code == 200
    assert r.context["page"].paginator.count == overdue and r.context["total"] == whole
    assert len(r.context["rows"]) == overdue


def test_the_other_filters_read_the_dossiers(spread, users):
    from workflow.selectors import InboxRows, inbox_rows

    for filters in (
        {"order": "waiting"},
        {"order": "due", "state": "draft"},
        {"order": "due", "waiting_days": 3},
    ):
        assert not isinstance(inbox_rows(user=users["u1_chair"], filters=filters), InboxRows)
    assert list(inbox_rows(user=users["u1_chair"], filters=None)) == []


def test_the_rows_carry_whether_their_content_is_visible(flow, users):
    from workflow.selectors import InboxRows

    iid = flow.to_unit_council(confidential=True)
    (row,) = [i for i in InboxRows(user=users["u1_chair"], filters={"order": "due"})[0:10] if i.pk == iid]
    assert row.content_visible is True  # the council that judges it sees its content


def test_the_inbox_count_is_exact_past_the_list_cap(spread, api, users, settings):
    settings.LIST_EXACT_COUNT_CAP = 2
    body = api(users["u1_chair"]).get("/api/v1/tasks/", {"page_size": 2}).json()
    # six before the council, and the draft that names the chair as co-author (to confirm)
    assert body["count"] == 7 and body["count_exact"] is True and len(body["results"]) == 2 and body["next"]
    last = api(users["u1_chair"]).get("/api/v1/tasks/", {"page_size": 2, "page": 4}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert api(users["u1_chair"]).get("/api/v1/tasks/", {"page_size": 2, "page": 5}).status_code == 404


def test_open_first_and_next_walk_the_rows(spread, client, users):
    from workflow.selectors import InboxRows

    client.force_login(users["u1_chair"])
    first, second = InboxRows(user=users["u1_chair"], filters={"order": "due"}).ids(0, 2)
    assert client.get("/tasks/next/")["Location"] == f"/initiatives/{first}/"
    assert client.get("/tasks/next/", {"skip": first})["Location"] == f"/initiatives/{second}/"


def test_roles_and_seats_are_read_once_per_request_and_again_in_the_next(client, users, flow):
    from councils.actions import role_grant
    from councils.models import Organisation, Role

    flow.draft()
    user = users["author1"]
    client.force_login(user)
    for url in ("/tasks/", "/initiatives/"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        sql = [q["sql"] for q in ctx.captured_queries]
        # the person's roles, and their seats with the councils' organisations: one query each
        assert sum(s.startswith('SELECT "councils_roleassignment"') for s in sql) == 1, url
        assert (
            sum(s.startswith('SELECT "councils_membership"') and "council__organisation__path" in s for s in sql) == 1
        )
    # a role given between two requests counts in the next one (nothing kept past a request)
    assert 'href="/audit/"' not in client.get("/tasks/").content.decode()
    role_grant(user=user, organisation=Organisation.objects.get(code="TCTA"), role=Role.AUDITOR)
    assert 'href="/audit/"' in client.get("/tasks/").content.decode()


def test_the_check_finds_open_work_with_another_due_date(flow):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    iid = flow.to_unit_council()
    call_command("open_tasks", "--check")
    Initiative.objects.filter(pk=iid).update(due_at=timezone.now() + timedelta(days=3))  # behind the actions' back
    with pytest.raises(CommandError, match="1 dossiers' open work is out of date"):
        call_command("open_tasks", "--check")
    call_command("open_tasks", "--rebuild", "--check")
