"""The inbox and the list as work queues (issue 9, finding 9 / build 5): filters by unit, stage,
due date and waiting days, orders, counts per choice, numbered pages that keep the filters, "open
the next one" — on the pages and, with the same names and messages, in the API."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from initiatives.models import Initiative
from initiatives.opentasks import tasks_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(flow):
    """Three dossiers before XN1's council (overdue, due in 3 days, due in 60), one before XN2's."""
    now = timezone.now()
    ids = {}
    for name, due, waited in (("late", -2, 40), ("soon", 3, 10), ("later", 60, 1)):
        iid = flow.to_unit_council(title=f"Sáng kiến hàng đợi {name} của xí nghiệp")
        Initiative.objects.filter(pk=iid).update(
            due_at=now + timedelta(days=due), submitted_at=now - timedelta(days=waited)
        )
        # a due date changed behind the actions' back: its open work follows, as an action's would
        tasks_sync(Initiative.objects.get(pk=iid))
        ids[name] = iid
    ids["xn2"] = flow.to_unit_council(
        "author2", "a_adv", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}]
    )
    return ids


def _rows(html):
    return [int(n) for n in re.findall(r'<td data-label="[^"]*" class="title"><a href="/initiatives/(\d+)/"', html)]


def _get(client, user, url, params=None, status=200):
    client.force_login(user)
    r = client.get(url, params or {})
    assert r.status_code == status, r.content.decode()[:3000]
    return r.content.decode()


def test_the_inbox_comes_soonest_due_first_with_counts_per_choice(queue, client, users):
    html = _get(client, users["u1_chair"], "/tasks/")
    assert _rows(html) == [queue["late"], queue["soon"], queue["later"]]
    assert "Hội đồng cấp đơn vị (3)" in html  # the stage's count
    assert "Quá hạn (1)" in html and "Đến hạn trong 7 ngày (1)" in html
    assert "1 hồ sơ quá hạn" in html  # the chip to work through them


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"due": "overdue"}, ["late"]),
        ({"due": "soon"}, ["soon"]),
        ({"waiting_days": "5"}, ["late", "soon"]),
        ({"order": "waiting"}, ["late", "soon", "later"]),
        ({"order": "newest"}, ["later", "soon", "late"]),
        ({"organisation": "XN2"}, []),
        ({"organisation": "TCTA", "due": "overdue"}, ["late"]),
    ],
)
def test_filters_and_orders_on_the_page_and_in_the_api(queue, client, users, api, params, expected):
    want = [queue[name] for name in expected]
    assert _rows(_get(client, users["u1_chair"], "/tasks/", params)) == want
    r = api(users["u1_chair"]).get("/api/v1/tasks/", params)
    assert r.status_code == 200 and [row["id"] for row in r.json()["results"]] == want


def test_the_list_takes_the_same_filters_and_shows_the_overdue_badge(queue, client, users, api):
    html = _get(client, users["officer_a"], "/initiatives/", {"due": "overdue"})
    assert _rows(html) == [queue["late"]] and "quá hạn" in html
    html = _get(client, users["officer_a"], "/initiatives/", {"organisation": "XN2"})
    assert _rows(html) == [queue["xn2"]]
    r = api(users["officer_a"]).get("/api/v1/initiatives/", {"order": "oldest", "state": "unit_council"})
    assert [row["id"] for row in r.json()["results"]] == sorted(queue.values())


def test_bad_filters_are_named_beside_their_fields_with_the_input_kept(queue, client, users, api):
    params = {"organisation": "KHONG-CO", "due": "mai", "waiting_days": "-3", "order": "ngẫu nhiên"}
    html = _get(client, users["u1_chair"], "/tasks/", params, status=400)
    assert "Bộ lọc chưa hợp lệ" in html and _rows(html) == []
    for field in ("organisation", "due", "waiting", "order"):
        assert f'id="e-{field}"' in html, field
    assert "Không có tổ chức mã “KHONG-CO”" in html and 'value="-3"' in html
    r = api(users["u1_chair"]).get("/api/v1/tasks/", params)
    assert r.status_code == 400 and set(r.json()) >= {"organisation", "due", "waiting_days", "order"}
    r = api(users["u1_chair"]).get("/api/v1/tasks/", {"due": "mai"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "overdue" in r.json()["due"][0] and "Hạn" not in r.json()["due"][0]
    html = _get(client, users["officer_a"], "/initiatives/", {"waiting_days": "x"}, status=400)
    assert 'id="e-waiting"' in html


def test_open_next_walks_the_filtered_inbox(queue, client, users):
    client.force_login(users["u1_chair"])
    client.get("/tasks/", {"due": "soon"})
    r = client.get("/tasks/next/", {"due": "soon"})
    assert r.status_code == 302 and r["Location"] == f"/initiatives/{queue['soon']}/"
    html = client.get(r["Location"]).content.decode()
    nxt = re.search(r'href="(/tasks/next/\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert "due=soon" in nxt and f"skip={queue['soon']}" in nxt
    r = client.get(nxt)
    assert r.status_code == 302 and r["Location"] == "/tasks/?due=soon"
    assert "Không còn hồ sơ nào đang chờ bạn" in client.get(r["Location"]).content.decode()
    # without filters: the overdue one first, then the next after skipping it
    client.get("/tasks/")
    assert client.get("/tasks/next/")["Location"] == f"/initiatives/{queue['late']}/"
    assert client.get("/tasks/next/", {"skip": queue["late"]})["Location"] == f"/initiatives/{queue['soon']}/"


def test_pages_are_numbered_and_keep_the_filters(queue, client, users, monkeypatch):
    from web import views

    monkeypatch.setattr(views._numbered, "__defaults__", (1,))
    html = _get(client, users["u1_chair"], "/tasks/", {"order": "newest"})
    assert _rows(html) == [queue["later"]]
    assert 'aria-current="page">1<' in html and 'href="?order=newest&amp;page=3"' in html
    assert _rows(_get(client, users["u1_chair"], "/tasks/", {"order": "newest", "page": "3"})) == [queue["late"]]


def test_the_organisation_filter_lists_the_reach_escaped_with_the_choice_selected(queue, client, users):
    """The organisation options are built in one pass (track i12l): names escaped, the chosen one
    selected, the rows filtered by it."""
    from councils.models import Organisation

    Organisation.objects.filter(code="XN2").update(name='Xí nghiệp <b>"2"</b>')
    html = _get(client, users["officer_a"], "/initiatives/", {"organisation": "XN1"})
    assert '<option value="XN1" selected>' in html
    assert '<option value="XN2">Xí nghiệp &lt;b&gt;&quot;2&quot;&lt;/b&gt; (XN2)</option>' in html
    assert set(_rows(html)) == {queue["late"], queue["soon"], queue["later"]}
    html = _get(client, users["officer_a"], "/initiatives/")
    assert (
        '<option value="XN1">' in html
        and " selected>" not in html.split('id="f-organisation"')[1].split("</select>")[0]
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"state": "unit_council"},
        {"state": "draft"},
        {"due": "overdue"},
        {"due": "none"},
        {"state": "unit_council", "due": "soon"},
        {"organisation": "TCTA", "state": "unit_council"},
        {"waiting_days": "5", "due": "overdue"},
    ],
)
def test_the_list_page_counts_its_rows_from_the_counts_per_choice(queue, client, users, params, flow):
    """A queue within the cap is counted per choice (states, due dates); the page's own count is read
    from those answers, not by a query of its own — and it is the number of rows the filters pass."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow.queue import queue_apply, queue_filters
    from workflow.selectors import initiative_list

    flow.draft()  # a draft too: more than one state in the officer's list
    user = users["officer_a"]
    client.force_login(user)
    client.get("/initiatives/")
    want = queue_apply(initiative_list(user=user), queue_filters(params, default_order="newest")).count()
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/initiatives/", params)
    assert r.status_code == 200
    assert r.context["page"].paginator.count == want and len(_rows(r.content.decode())) == want
    counts = r.context["counts"]
    state = params.get("state")
    assert (counts["state"].get(state, 0) if state else sum(counts["state"].values())) == want
    if not params.get("due"):  # the due counts are those of the rows the other filters pass
        assert sum(counts["due"].values()) <= want
    counted = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT COUNT(*)") and '"initiatives_initiative"' in q["sql"]
    ]
    # the queue's size (capped) once; never the filtered rows again
    assert len(counted) == 1, counted
