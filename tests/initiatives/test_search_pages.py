"""A search's rows know their ids, ranks and order (``initiatives.search.SearchResults``, issue 11):
the count is the number of ids (no ``COUNT``) and a page in the ranked order is read as that page's
ids alone — with the same answers as the database's own count and sort, on both databases, through
the API, the list page and the library; anything that narrows the rows further (a filter, another
order) is asked of the database as before."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from initiatives import search
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

LIST = "/api/v1/initiatives/"
DOSSIERS = [  # ranks for "bom nuoc": title whole words 4.0, title + summary 2.8, beginnings 2.0 …
    ("Bơm nước làm mát", "Giảm nhiệt"),
    ("Bơm dầu cách điện", "Nước thải được lọc"),
    ("Bơm nước thải", "Tiết kiệm điện"),
    ("Bồn chứa hóa chất", "Bơm nước tuần hoàn"),
    ("Bơmx nướcy lạ kỳ", "Tên lạ"),
    ("Bơm nước cứu hỏa", "Áp lực cao"),
    ("Sơn cột điện cao thế", "Chống gỉ"),  # not found
]


@pytest.fixture
def pumps(make_draft):
    return [make_draft(title=t, summary=s)["id"] for t, s in DOSSIERS]


def _expected(ids, q="bom nuoc"):
    """The rule (``text_score``), best first then the newest: what every page must agree with."""
    toks = search.tokens(q.split())
    scored = [(search.text_score(t, s, toks), pk) for pk, (t, s) in zip(ids, DOSSIERS, strict=True)]
    return [pk for score, pk in sorted((x for x in scored if x[0] is not None), key=lambda x: (-x[0], -x[1]))]


def _count_queries(ctx) -> list[str]:
    """The ``COUNT`` queries of dossiers a request ran."""
    return [
        q["sql"]
        for q in ctx.captured_queries
        if re.match(r"\s*SELECT COUNT\(", q["sql"], re.IGNORECASE) and "initiatives_initiative" in q["sql"]
    ]


def test_pages_of_a_search_are_its_ranked_order_cut_and_it_is_counted_without_a_query(api, users, pumps):
    author = api(users["author1"])
    expected = _expected(pumps)
    assert len(expected) == 6
    whole = author.get(LIST, {"q": "bom nuoc"}).json()
    assert [x["id"] for x in whole["results"]] == expected
    assert (whole["count"], whole["count_exact"]) == (6, True)
    seen = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as ctx:
            body = author.get(LIST, {"q": "bom nuoc", "page_size": 2, "page": page}).json()
        assert body["count"] == 6 and body["count_exact"] is True
        assert [x["rank"] for x in body["results"]] == [
            pytest.approx(x["rank"]) for x in whole["results"][2 * (page - 1) : 2 * page]
        ]
        seen += [x["id"] for x in body["results"]]
        assert _count_queries(ctx) == []  # the count is the number of ids found
        # the page's rows are read by their ids alone: its two ids, not the six found
        page_sql = [q["sql"] for q in ctx.captured_queries if '"initiatives_initiative"."problem"' in q["sql"]]
        assert len(page_sql) == 1, page_sql
        where = page_sql[0].rsplit(" WHERE ", 1)[1].split(" ORDER BY ")[0]
        assert {str(pk) for pk in expected} & set(re.findall(r"\d+", where)) == {
            str(pk) for pk in expected[2 * (page - 1) : 2 * page]
        }
    assert seen == expected


def test_another_order_or_a_filter_after_the_search_asks_the_database(api, users, pumps, client):
    author = api(users["author1"])
    expected = _expected(pumps)
    # an order asked: the database sorts all six (its answer, not the search's order)
    with CaptureQueriesContext(connection):
        body = author.get(LIST, {"q": "bom nuoc", "order": "oldest", "page_size": 4}).json()
    assert [x["id"] for x in body["results"]] == sorted(expected)[:4] and body["count"] == 6
    # a filter after the search (the list page's state=): counted and sorted by the database
    Initiative.objects.filter(pk__in=pumps[:2]).update(state="unit_council", submitted_at=timezone.now())
    client.force_login(users["author1"])
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/initiatives/", {"q": "bom nuoc", "state": "draft"}).content.decode()
    shown = [int(pk) for pk in re.findall(r'href="/initiatives/(\d+)/"', html)]
    assert list(dict.fromkeys(shown)) == [pk for pk in expected if pk not in pumps[:2]]
    assert _count_queries(ctx)  # the search's four drafts, counted by the database
    # without a filter: no count of the search's rows, and the state and due choices counted in
    # one grouped query (``workflow.queue.queue_counts``)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/initiatives/", {"q": "bom nuoc"}).content.decode()
    assert [int(pk) for pk in dict.fromkeys(re.findall(r'href="/initiatives/(\d+)/"', html))] == expected
    assert _count_queries(ctx) == []
    grouped = [
        q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"] and "initiatives_initiative" in q["sql"]
    ]
    assert len(grouped) == 1 and ("FILTER" in grouped[0] or "CASE WHEN" in grouped[0]), grouped


def test_the_queryset_counts_and_slices_as_the_database_would(users, pumps):
    from workflow.selectors import initiative_list, search_scope

    qs = initiative_list(user=users["author1"], for_list=True)
    found = search.ranked(search.search_filter(qs, ["bom", "nuoc"], scope=search_scope(user=users["author1"])))
    expected = _expected(pumps)
    assert isinstance(found, search.SearchResults)
    assert found.count() == 6 and found.order_by().values("pk")[:4].count() == 4
    assert [i.pk for i in found[1:4]] == expected[1:4] and [i.pk for i in found[4:]] == expected[4:]
    assert found[0].pk == expected[0]
    # narrowed further: the database's answers, which are the same
    narrowed = found.exclude(pk=expected[0])
    assert narrowed.count() == 5 and [i.pk for i in narrowed[:2]] == expected[1:3]
    assert found.filter(pk__in=expected[:2]).count() == 2
    assert found.order_by("id").count() == 6 and [i.pk for i in found.order_by("id")[:2]] == sorted(expected)[:2]


def test_the_library_pages_by_the_ranks_found(api, users, pumps):
    Initiative.objects.filter(pk__in=pumps).update(state="unit_council", recognised_at=timezone.now())
    reader = api(users["outsider"])
    expected = _expected(pumps)
    first = reader.get("/api/v1/library/", {"q": "bom nuoc", "page_size": 4}).json()
    second = reader.get("/api/v1/library/", {"q": "bom nuoc", "page_size": 4, "page": 2}).json()
    assert first["count"] == 6
    assert [x["id"] for x in first["results"] + second["results"]] == expected


def _highlight_word_by_word(text, words):
    """The marks as the rule says them, word by word (``highlight`` before it folded whole texts)."""
    from django.utils.html import escape

    toks = tuple(search.tokens(words))
    out, last = [], 0
    for m in re.finditer(r"\w+", text):
        if search._plain(m.group()).startswith(toks):
            out += [escape(text[last : m.start()]), f"<mark>{escape(m.group())}</mark>"]
            last = m.end()
    return "".join([*out, escape(text[last:])])


def test_highlight_marks_what_the_word_by_word_rule_marks():
    import random

    rng = random.Random(11)
    letters = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    alphabet = letters + letters.upper() + "0123456789_ ,.-–—…'\"<>&/()" + "æßﬁ中Жʼ\u0301\x00"
    texts = ["Cầu chì tự rơi <b>&'x'</b>", "ĐIỆN—điện…Điện", "Ứng dụng: “máy biến áp” ﬁber æ 中文", ""]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    queries = [["dien"], ["cau", "chi", "tu", "r"], ["Ứng", "máy"], ["a"], ["1"], ["u-2"], ["fi", "ae"], ["_"]]
    for text in texts:
        for words in queries:
            assert str(search.highlight(text, words)) == _highlight_word_by_word(text, words), (text, words)
