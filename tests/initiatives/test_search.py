"""Search (issue 11): ``q=`` on the list (page and API), the library and the auditor's trail, and
the header's box — accents optional, ranked (title over summary, whole words over beginnings),
highlighted in <mark> and escaped; the limits answer 400 naming ``q``. The same tests run on SQLite
(the Python-ranked fallback) and on PostgreSQL (full-text over the trigger-kept tsvector)."""

import pytest
from django.db import connection

from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

LIST = "/api/v1/initiatives/"


def _titles(r):
    assert r.status_code == 200, r.content
    return [row["title"] for row in r.json()["results"]]


def test_accents_optional_and_word_beginnings(api, users, make_draft):
    make_draft(title="Sáng kiến thay cầu chì tự rơi", summary="Giảm sự cố lưới điện")
    make_draft(title="Cải tiến máy biến áp phân phối", summary="Giảm tổn thất")
    make_draft(title="Đồng hồ đo điện tử cho trạm", summary="Đo đếm chính xác")
    author = api(users["author1"])
    assert _titles(author.get(LIST, {"q": "sang kien"})) == ["Sáng kiến thay cầu chì tự rơi"]
    assert _titles(author.get(LIST, {"q": "SÁNG KIẾN"})) == ["Sáng kiến thay cầu chì tự rơi"]
    assert _titles(author.get(LIST, {"q": "may bien"})) == ["Cải tiến máy biến áp phân phối"]  # beginnings
    assert _titles(author.get(LIST, {"q": "dong ho"})) == ["Đồng hồ đo điện tử cho trạm"]  # đ → d
    assert _titles(author.get(LIST, {"q": "ton that"})) == ["Cải tiến máy biến áp phân phối"]  # the summary
    assert _titles(author.get(LIST, {"q": "cau xyz"})) == []  # every word must be found
    assert _titles(author.get(LIST, {"q": "ien"})) == []  # inside a word is not a beginning


def test_ranked_title_over_summary_and_whole_words_over_beginnings(api, users, make_draft):
    make_draft(title="Quy trình kiểm tra định kỳ thiết bị", summary="Dùng cảm biến nhiệt lắp sẵn")
    make_draft(title="Cảm biến nhiệt cho tủ điện hạ thế", summary="Phát hiện sớm quá nhiệt")
    make_draft(title="Camera giám sát trạm biến áp", summary="Theo dõi từ xa")
    author = api(users["author1"])
    # the title beats the summary, whatever the dates
    assert _titles(author.get(LIST, {"q": "cam bien"})) == [
        "Cảm biến nhiệt cho tủ điện hạ thế",  # both whole words in the title
        "Camera giám sát trạm biến áp",  # in the title, one a beginning
        "Quy trình kiểm tra định kỳ thiết bị",  # only in the summary
    ]
    # "cam": a whole word ("Cảm") before a beginning ("Camera"), both in titles
    rows = _titles(author.get(LIST, {"q": "cam"}))
    assert rows.index("Cảm biến nhiệt cho tủ điện hạ thế") < rows.index("Camera giám sát trạm biến áp")
    # an order asked for wins over the rank
    newest = _titles(author.get(LIST, {"q": "cam", "order": "newest"}))
    assert newest[0] == "Camera giám sát trạm biến áp"
    r = author.get(LIST, {"q": "cam bien"})
    first = r.json()["results"][0]
    assert first["highlight"]["title"] == "<mark>Cảm</mark> <mark>biến</mark> nhiệt cho tủ điện hạ thế"
    assert first["rank"] > r.json()["results"][1]["rank"]


def test_highlight_is_escaped_on_the_page_and_in_the_api(api, users, make_draft, client):
    make_draft(title='Cảnh báo <script>alert("x")</script> quá nhiệt', summary="Nhiệt độ & dòng điện <b>cao</b>")
    r = api(users["author1"]).get(LIST, {"q": "canh bao nhiet"})
    row = r.json()["results"][0]
    assert row["highlight"]["title"] == (
        "<mark>Cảnh</mark> <mark>báo</mark> &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; quá <mark>nhiệt</mark>"
    )
    assert row["highlight"]["summary"].startswith("<mark>Nhiệt</mark> độ &amp; dòng điện &lt;b&gt;cao")
    client.force_login(users["author1"])
    r = client.get("/initiatives/", {"q": "canh bao"})
    html = r.content.decode()
    assert r.status_code == 200 and "<mark>Cảnh</mark> <mark>báo</mark> &lt;script&gt;" in html
    assert "<script>alert" not in html
    # the header's box: on every page, for everyone signed in, sending to the list
    assert 'role="search"' in html and 'action="/initiatives/"' in html
    assert 'value="canh bao"' in html  # kept in the box on the list
    home = client.get("/").content.decode()
    assert 'role="search"' in home and 'name="q"' in home


def test_the_limits_answer_400_naming_q(api, users, client):
    author = api(users["author1"])
    for bad in ("x" * 101, " ".join(["tu"] * 11)):
        for url in (LIST, "/api/v1/library/"):
            r = author.get(url, {"q": bad})
            assert r.status_code == 400 and "q" in r.json(), (url, r.content)
        r = api(users["auditor_n"]).get("/api/v1/audit/entries/", {"q": bad})
        assert r.status_code == 400 and "q" in r.json()
    client.force_login(users["author1"])
    assert client.get("/initiatives/", {"q": "x" * 101}).status_code == 400
    assert client.get("/library/", {"q": "x" * 101}).status_code == 400
    # punctuation only: nothing found, never an error
    assert _titles(author.get(LIST, {"q": "&|!():*"})) == []


def test_library_q_is_ranked_and_highlighted(api, users, make_draft):
    from django.utils import timezone

    ids = [
        make_draft(title="Giải pháp thay thế dao cách ly", summary="Dùng cầu chì tự rơi loại mới")["id"],
        make_draft(title="Cầu chì tự rơi polymer chống sét", summary="Giảm sự cố")["id"],
        make_draft(title="Sơn chống gỉ cột điện", summary="Bền hơn")["id"],
    ]
    Initiative.objects.filter(pk__in=ids).update(state="unit_council", recognised_at=timezone.now())
    r = api(users["outsider"]).get("/api/v1/library/", {"q": "cau chi"})
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [x["title"] for x in rows] == ["Cầu chì tự rơi polymer chống sét", "Giải pháp thay thế dao cách ly"]
    assert rows[0]["highlight"]["title"].startswith("<mark>Cầu</mark> <mark>chì</mark>")
    assert "<mark>cầu</mark> <mark>chì</mark>" in rows[1]["highlight"]["summary"]


def test_the_trail_q_finds_comments_without_accents(flow, api, users, client):
    iid = flow.draft(title="Hồ sơ để thử nhật ký tìm kiếm")
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "return", comment="Bổ sung bản vẽ sơ đồ nguyên lý")
    auditor = api(users["auditor_n"])
    r = auditor.get("/api/v1/audit/entries/", {"q": "ban ve so do"})
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [e["action"] for e in rows] == ["return"] and rows[0]["comment"] == "Bổ sung bản vẽ sơ đồ nguyên lý"
    assert auditor.get("/api/v1/audit/entries/", {"q": "u1_adv"}).json()["results"]  # the actor's name
    assert auditor.get("/api/v1/audit/entries/", {"q": "khong co dau vet"}).json()["results"] == []
    csv = b"".join(auditor.get("/api/v1/audit/entries.csv", {"q": "ban ve"}).streaming_content).decode()
    assert csv.count("Bổ sung bản vẽ") == 1
    client.force_login(users["auditor_n"])
    html = client.get("/audit/", {"q": "ban ve"}).content.decode()
    assert "Bổ sung <mark>bản</mark> <mark>vẽ</mark> sơ đồ nguyên lý" in html and 'id="f-q"' in html
    assert api(users["author1"]).get("/api/v1/audit/entries/", {"q": "ban ve"}).status_code == 403


@pytest.mark.postgres
def test_postgres_keeps_the_vector_and_uses_the_index(make_draft):
    iid = make_draft(title="Sáng kiến đo nhiệt độ", summary="Cảm biến không dây")["id"]
    with connection.cursor() as cur:
        cur.execute("SELECT search_vector::text FROM initiatives_initiative WHERE id = %s", [iid])
        vector = cur.fetchone()[0]
    assert "'sang':1A" in vector and "'cam':6B" in vector  # unaccented, title A, summary B
    Initiative.objects.filter(pk=iid).update(title="Thiết bị mới")  # every writer keeps it (a trigger)
    with connection.cursor() as cur:
        cur.execute("SELECT search_vector::text FROM initiatives_initiative WHERE id = %s", [iid])
        assert "'thiet':1A" in cur.fetchone()[0]
        cur.execute("SET enable_seqscan = off")
        cur.execute(
            "EXPLAIN SELECT id FROM initiatives_initiative WHERE search_vector @@ to_tsquery('simple', 'thiet:*')"
        )
        plan = " ".join(row[0] for row in cur.fetchall())
    assert "initiative_search_gin" in plan
