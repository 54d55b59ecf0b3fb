"""Search at scale (issue 11, track i11p): a search ranks and counts at most SEARCH_CANDIDATES
matches, the newest; more than that answers the cap with ``count_exact: false`` ("more than N"),
on the API (list and library) and the pages — the same on SQLite and PostgreSQL. The other filters
narrow what is searched; the number of queries does not grow with the matches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

LIST = "/api/v1/initiatives/"


@pytest.fixture
def pumps(make_draft, settings):
    settings.SEARCH_CANDIDATES = 3
    ids = [make_draft(title=f"Bơm nước làm mát số {n}", summary="Giảm nhiệt máy biến áp")["id"] for n in range(5)]
    other = make_draft(
        title="Bơm dầu cách điện",
        summary="Lọc dầu",
        user="author2",
        organisation="XN2",
        authors=[{"username": "author2", "share_percent": 100}],
    )["id"]
    make_draft(title="Sơn chống gỉ cột điện", summary="Bền hơn")
    return ids, other


def test_the_count_is_capped_and_says_so(api, users, pumps):
    ids, _other = pumps
    author = api(users["author1"])
    for q in ("bơm nước", "bom nuoc", "BOM"):  # accents optional
        r = author.get(LIST, {"q": q})
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["count"] == 3 and body["count_exact"] is False, q
        # the newest three matches, ranked (equal rank: the newest first)
        assert [x["id"] for x in body["results"]] == sorted(ids, reverse=True)[:3], q
        assert all(x["highlight"]["title"].startswith("<mark>Bơm</mark>") for x in body["results"])
    # under the cap: exact
    body = author.get(LIST, {"q": "bom so 4"}).json()
    assert (body["count"], body["count_exact"]) == (1, True)
    assert [x["id"] for x in body["results"]] == [ids[4]]
    body = author.get(LIST, {"q": "khong co"}).json()
    assert (body["count"], body["count_exact"], body["results"]) == (0, True, [])
    assert author.get(LIST).json()["count_exact"] is True  # no search: the plain page's own exact count


def test_filters_narrow_before_the_cap(api, users, pumps, make_draft):
    ids, other = pumps
    # the officer of the unit sees both authors' drafts? no: drafts are their authors' — author2's own
    r = api(users["author2"]).get(LIST, {"q": "bom"})
    assert (r.json()["count"], r.json()["count_exact"]) == (1, True)
    assert [x["id"] for x in r.json()["results"]] == [other]
    # a filter given with q narrows first: not "the 3 newest pumps, then filtered"
    Initiative.objects.filter(pk__in=ids[:2]).update(category="management")
    body = api(users["author1"]).get(LIST, {"q": "bom", "category": "management"}).json()
    assert (body["count"], body["count_exact"]) == (2, True)
    assert sorted(x["id"] for x in body["results"]) == sorted(ids[:2])


def test_an_order_asked_orders_the_newest_matches(api, users, pumps):
    ids, _other = pumps
    body = api(users["author1"]).get(LIST, {"q": "bom", "order": "oldest"}).json()
    assert body["count_exact"] is False
    assert [x["id"] for x in body["results"]] == sorted(ids)[2:]


def test_the_pages_say_more_than(client, users, pumps):
    client.force_login(users["author1"])
    html = client.get("/initiatives/", {"q": "bom"}).content.decode()
    assert "Hơn 3 sáng kiến khớp" in html and html.count("<mark>Bơm</mark>") == 3
    html = client.get("/initiatives/", {"q": "bom so 4"}).content.decode()
    assert "Hơn" not in html and "1 sáng kiến" in html
    en = client.get("/initiatives/", {"q": "bom"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "More than 3 initiatives match" in en or "Hơn 3" in en  # the English catalogue, where active


def test_the_library_caps_too(api, client, users, pumps):
    ids, other = pumps
    Initiative.objects.filter(pk__in=[*ids, other]).update(state="unit_council", recognised_at=timezone.now())
    outsider = api(users["outsider"])
    body = outsider.get("/api/v1/library/", {"q": "bom"}).json()
    assert (body["count"], body["count_exact"]) == (3, False)
    body = outsider.get("/api/v1/library/", {"q": "bom dau"}).json()
    assert (body["count"], body["count_exact"]) == (1, True)
    assert [x["id"] for x in body["results"]] == [other]
    client.force_login(users["outsider"])
    assert "Hơn 3 sáng kiến khớp" in client.get("/library/", {"q": "bom"}).content.decode()


def test_queries_do_not_grow_with_the_matches(api, users, make_draft, settings):
    settings.SEARCH_CANDIDATES = 50
    author = api(users["author1"])
    make_draft(title="Bơm nước số 0")
    author.get(LIST, {"q": "bom"})  # warm caches (token, content types …)
    with CaptureQueriesContext(connection) as one:
        assert author.get(LIST, {"q": "bom"}).json()["count"] == 1
    for n in range(1, 8):
        make_draft(title=f"Bơm nước số {n}")
    with CaptureQueriesContext(connection) as eight:
        assert author.get(LIST, {"q": "bom"}).json()["count"] == 8
    assert len(eight) == len(one), [q["sql"][:120] for q in eight.captured_queries]


def test_the_walk_and_the_index_give_the_same_answers(api, users, make_draft, settings):
    """PostgreSQL walks the newest rows or asks the prefix index (``initiatives.search._plan``;
    ``SEARCH_PLAN`` forces one): the same answers either way (SQLite: one path)."""
    settings.SEARCH_CANDIDATES = 2
    ids = [make_draft(title=f"Bơm nước số {n}")["id"] for n in range(3)]
    for _n in range(3):
        make_draft(title="Sơn chống gỉ cột điện")
    author = api(users["author1"])
    for plan in ("walk", "index", None):
        settings.SEARCH_PLAN = plan
        body = author.get(LIST, {"q": "bom"}).json()
        assert (body["count"], body["count_exact"]) == (2, False), plan
        assert [x["id"] for x in body["results"]] == sorted(ids, reverse=True)[:2], plan
        body = author.get(LIST, {"q": "bom so 0"}).json()
        assert [x["id"] for x in body["results"]] == [ids[0]] and body["count_exact"] is True, plan
