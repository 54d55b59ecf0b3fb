"""Search at 2 million (issue 11, track i11s): where a search looks (``search_scope``) and the two
plans PostgreSQL chooses between — a walk of the scope newest first, or the prefix index
(migration 0012) in id ranges — give the same answers as the rule itself, for every kind of scope
(ids, organisations, councils, everything, the library's queryset) and with filters that the
scope does not know."""

import pytest
from django.db import connection

from initiatives import search
from initiatives.models import Initiative
from workflow import selectors
from workflow.selectors import initiative_list, search_scope

pytestmark = pytest.mark.django_db

LIST = "/api/v1/initiatives/"
PEOPLE = [
    "author1",
    "author2",
    "officer_x1",
    "officer_a",
    "u1_adv",
    "a_adv",
    "u1_chair",
    "c_m1",
    "auditor_n",
    "outsider",
]
TITLES = [
    ("Bơm nước làm mát máy biến áp", "Giảm nhiệt độ dầu"),
    ("Rơ le bảo vệ máy biến áp", "Cắt nhanh khi quá dòng"),
    ("Flycam kiểm tra đường dây", "Bay dọc tuyến 110 kV"),
    ("Cầu chì tự rơi cải tiến", "Thay nhanh cầu chì"),
    ("Sơn chống gỉ cột điện", "Bền hơn mười năm"),
    ("Thiết bị siêuđộngcơđiệnxoaychiều", "Một từ rất dài để thử"),
]


@pytest.fixture
def register(make_draft, users):
    """Dossiers of two units (XN1 by author1, XN2 by author2), some before the unit councils."""
    from councils.models import Council

    ids = []
    for n in range(3):
        for k, (title, summary) in enumerate(TITLES):
            if (n + k) % 2:
                ids.append(make_draft(title=f"{title} {n}", summary=summary)["id"])
            else:
                ids.append(
                    make_draft(
                        title=f"{title} {n}",
                        summary=summary,
                        user="author2",
                        organisation="XN2",
                        authors=[{"username": "author2", "share_percent": 100}],
                    )["id"]
                )
    xn1 = Council.objects.get(code="XN1-HD")
    Initiative.objects.filter(pk__in=ids[::4], organisation__code="XN1").update(state="unit_council", council=xn1)
    Initiative.objects.filter(pk__in=ids[1::5]).update(category="management")
    return ids


def _scope_rows(scope) -> set:
    qs = Initiative.objects.all()
    if scope.everything:
        return set(qs.values_list("pk", flat=True))
    from django.db.models import Q

    return set(
        qs.filter(
            Q(organisation_id__in=scope.organisations) | Q(council_id__in=scope.councils) | Q(pk__in=scope.ids)
        ).values_list("pk", flat=True)
    )


def test_the_scope_holds_everything_each_person_sees(users, register, monkeypatch):
    for name in PEOPLE:
        user = users[name]
        visible = set(initiative_list(user=user).values_list("pk", flat=True))
        scope = search_scope(user=user)
        assert visible <= _scope_rows(scope), name
        # the same scope from what the list's visibility read on the way (no query again), its
        # organisations as values (a small subtree) or as a query (a wide one)
        for small in (10, 1):
            monkeypatch.setattr(selectors, "SMALL_SUBTREE", small)
            listed = initiative_list(user=user, for_list=True)
            assert search_scope(user=user, parts=listed.query.search_scope_parts) == scope, (name, small)
        monkeypatch.setattr(selectors, "SMALL_SUBTREE", 10)
    # a reach wider than SCOPE_ORGANISATIONS organisations: the whole register, then the visibility
    monkeypatch.setattr(selectors, "SCOPE_ORGANISATIONS", 1)
    assert search_scope(user=users["officer_a"]).everything
    monkeypatch.setattr(selectors, "SCOPE_IDS", 1)
    assert search_scope(user=users["author1"]).everything
    # the organisations, the councils and the ids, each where they belong
    monkeypatch.setattr(selectors, "SCOPE_ORGANISATIONS", 200)
    monkeypatch.setattr(selectors, "SCOPE_IDS", 5000)
    assert search_scope(user=users["officer_x1"]).organisations
    assert search_scope(user=users["u1_chair"]).councils
    assert search_scope(user=users["author1"]).ids and not search_scope(user=users["author1"]).organisations


def _expected(qs, words, n):
    """The rule itself: the n newest rows of ``qs`` where every word begins a word of the title or
    summary."""
    toks = search.tokens(words)
    rows = qs.order_by("-pk").values_list("pk", "title", "summary")
    return [pk for pk, title, summary in rows if search.text_score(title, summary, toks) is not None][:n]


QUERIES = [["bom"], ["may", "bien", "ap"], ["r"], ["cau", "chi", "tu", "r"], ["flycam", "cau"], ["dien"], ["sieudongcod"],
           ["sieudongcodienxoay"], ["sieudongcodienxoat"], ["khong", "co"]]  # fmt: skip


@pytest.mark.postgres
@pytest.mark.parametrize("plan", ["walk", "index", None])
def test_every_plan_gives_the_rules_answers(users, register, settings, plan):
    settings.SEARCH_PLAN = plan
    search._STATS["at"] = 0.0  # the statistics of this database
    for n in (2, 5, 100):
        for name in PEOPLE:
            user = users[name]
            for category in (None, "management"):  # a filter the scope does not know
                qs = initiative_list(user=user, for_list=True)
                if category:
                    qs = qs.filter(category=category)
                for words in QUERIES:
                    found, way = search._find(qs, search.tokens(words), n, search_scope(user=user))
                    assert found == _expected(qs, words, n), (name, category, words, n, way)
                    assert plan is None or way in (plan, "none"), way
        # the library's queryset, searched itself (no scope)
        from library.selectors import in_library_q

        Initiative.objects.filter(pk__in=register[::3]).update(recognised_at="2023-01-01T00:00:00Z")
        qs = Initiative.objects.filter(in_library_q())
        for words in QUERIES:
            assert search._find(qs, search.tokens(words), n, None)[0] == _expected(qs, words, n), words


@pytest.mark.postgres
@pytest.mark.parametrize("branches", [64, 0])
def test_a_walk_too_short_goes_on_with_the_index_in_ranges(users, register, settings, monkeypatch, branches):
    """The walk's window far too narrow and the index's ranges far too small: the rounds still
    reach the oldest rows, and find the same — with one walk per organisation merged, or (more
    organisations than ``WALK_BRANCHES``) one walk of the primary key filtered by the scope."""
    monkeypatch.setattr(search, "WALK_BRANCHES", branches)
    settings.SEARCH_WALK_SLACK = 0.0001
    settings.SEARCH_INDEX_ROWS = 0.0001
    for plan in ("walk", "index"):
        settings.SEARCH_PLAN = plan
        for name in ("author1", "officer_x1", "auditor_n", "c_m1"):
            qs = initiative_list(user=users[name], for_list=True)
            for words in QUERIES:
                found, _way = search._find(qs, search.tokens(words), 4, search_scope(user=users[name]))
                assert found == _expected(qs, words, 4), (plan, name, words)


@pytest.mark.postgres
def test_the_plan_follows_how_common_the_words_are(make_draft, settings):
    """With the statistics of ANALYZE: a word in every row is walked for (the newest rows hold the
    matches), a word in one row of three hundred is asked of the index."""
    settings.SEARCH_CANDIDATES = 3
    first = Initiative.objects.get(pk=make_draft(title="Bơm nước số 0", summary="Làm mát")["id"])
    for n in range(1, 300):
        first.pk, first.reference = None, None
        first.title = f"Bơm nước số {n}" + (" flycam" if n == 150 else "")
        first.save()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE initiatives_initiative")
        search._STATS["at"] = 0.0
        assert search._plan(cursor, ["bom"], None, 4)["way"] == "walk"
        assert search._plan(cursor, ["flycam"], None, 4)["way"] == "index"
        assert search._plan(cursor, ["bom", "flycam"], None, 4)["way"] == "index"
    qs = Initiative.objects.all()
    assert search._find(qs, ["flycam"], 4, None) == ([first.pk - 149], "index")
    found, way = search._find(qs, ["bom"], 4, None)
    assert way == "walk" and found == sorted(qs.values_list("pk", flat=True), reverse=True)[:4]


@pytest.mark.postgres
def test_the_api_answers_alike_whichever_plan(api, users, register, settings):
    settings.SEARCH_CANDIDATES = 3
    answers = {}
    for plan in ("walk", "index"):
        settings.SEARCH_PLAN = plan
        for name in ("author1", "officer_a", "u1_chair"):
            for q in ("bơm", "may bien ap", "r", "sieudongco", "khong co"):
                body = api(users[name]).get(LIST, {"q": q}).json()
                answers.setdefault((name, q), []).append(
                    (body["count"], body["count_exact"], [(x["id"], x["rank"]) for x in body["results"]])
                )
    for key, (walked, indexed) in answers.items():
        assert walked == indexed, key
    assert answers[("author1", "sieudongco")][0][0] >= 1  # a word longer than the index keeps


@pytest.mark.postgres
def test_the_trail_words_through_the_trigram_index_find_the_same(flow, users, monkeypatch):
    """The trail's q= adds the trigram index's test (audit 0006) for words of three characters or
    more: the same entries as the exact test alone, accents, case and LIKE's own characters
    included; and the index is what the plan uses for a rare word."""
    iid = flow.draft(title="Hồ sơ để thử nhật ký tìm kiếm")
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "return", comment="Bổ sung BẢN VẼ sơ đồ 100% nguyên_lý")
    flow.act("author1", iid, "submit")
    auditor = users["auditor_n"]
    words_list = [["ban", "ve"], ["nguyen_ly"], ["100%"], ["u1_adv"], ["submit"], ["retu"], ["khong", "co"], ["_"]]
    indexed = {
        tuple(w): list(selectors.trail_entries(user=auditor, words=w).values_list("seq", flat=True)) for w in words_list
    }
    monkeypatch.setattr(selectors, "TRAIL_INDEXED_WORD", 1000)  # the exact test alone
    for words in words_list:
        assert (
            list(selectors.trail_entries(user=auditor, words=words).values_list("seq", flat=True))
            == indexed[tuple(words)]
        ), words
    assert indexed[("ban", "ve")] and indexed[("nguyen_ly",)] and indexed[("100%",)] and not indexed[("khong", "co")]
    with connection.cursor() as cursor:  # the test the selector adds is the index's expression
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT seq FROM audit_auditentry WHERE audit_search_text(comment, actor_name, action) LIKE %s",
            ["%nguyen%"],
        )
        assert "audit_entry_search_trgm" in " ".join(r[0] for r in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
