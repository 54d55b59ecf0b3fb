"""The auditor's page /audit/ (issue 9, build 6): the trail across dossiers with filters, both ways
of paging, the CSV of the same filters, the verification badge and the last checkpoint; and the
dead-end fix (finding 8): who may not create a dossier anywhere is told so, not given a form."""

import ast
import pathlib
import re

import pytest
from django.urls import reverse

from audit.models import AuditCheckpoint, AuditEntry
from tests.conftest import once

pytestmark = pytest.mark.django_db

URL = "/audit/"


@pytest.fixture
def trail(request):
    """A dossier of XN1 returned by its adviser, one of XN2 (a secret ballot) voted on, and a draft
    of XN3 (TCTB) — built once per test process (``tests.conftest.once``)."""
    return once(request, "audit-page-trail", lambda: _trail(request.getfixturevalue("flow")))


def _trail(flow):
    returned = flow.draft("author1")
    flow.act("author1", returned, "submit")
    flow.act("u1_adv", returned, "return", comment="Thiếu bảng số liệu đo nhiệt")
    secret = flow.draft("author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}])
    flow.act("author2", secret, "submit")
    flow.act("a_adv", secret, "forward")
    flow.vote("u2_m1", secret, "approve", score=80)
    flow.vote("u2_m2", secret, "reject", comment="Chưa mới")
    other = flow.draft("author3", organisation="XN3", authors=[{"username": "author3", "share_percent": 100}])
    return {"returned": returned, "secret": secret, "other": other}


def _page(client, user, params=None, status=200):
    client.force_login(user)
    r = client.get(URL, params or {})
    assert r.status_code == status, r.content.decode()[:2000]
    return r


def _seqs(html):
    return [int(s) for s in re.findall(r'<code class="hash" title="[0-9a-f]{64}">#(\d+) ', html)]


@pytest.mark.parametrize("who", ["auditor_n", "admin_n", "auditor_b"])
def test_auditors_and_admins_open_it_and_find_it_in_the_navigation(trail, client, users, who):
    html = _page(client, users[who]).content.decode()
    assert "Nhật ký kiểm toán" in html and f'href="{URL}"' in html
    assert "Kiểm tra chuỗi" in html and "Tải CSV" in html


def test_a_superuser_reads_everything(trail, client, users):
    boss = users["outsider"]
    boss.is_superuser = True
    boss.save(update_fields=["is_superuser"])
    html = _page(client, boss).content.decode()
    assert f'href="{URL}"' in html
    assert "Tạo tổ chức" in html  # the structure's own entries (on the federation, outside every sector)


@pytest.mark.parametrize("who", ["officer_a", "author1", "u1_chair"])
def test_everyone_else_gets_a_403_that_says_why_and_no_link(trail, client, users, who):
    client.force_login(users[who])
    r = client.get(URL)
    assert r.status_code == 403
    html = r.content.decode()
    assert "Chỉ người kiểm tra hoặc quản trị" in html and "<table" not in html
    assert f'href="{URL}"' not in client.get("/").content.decode()
    assert client.post(URL, {"do": "checkpoint"}).status_code == 403
    assert client.post(URL, {"do": "verify"}).status_code == 403
    assert not AuditCheckpoint.objects.exists()


def test_signed_out_goes_to_the_login(client):
    r = client.get(URL)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_an_auditor_of_tctb_never_sees_xn1(trail, client, users):
    html = _page(client, users["auditor_b"], {"order": "newest"}).content.decode()
    assert f"/initiatives/{trail['other']}/" in html
    assert f"/initiatives/{trail['returned']}/" not in html and f"/initiatives/{trail['secret']}/" not in html
    assert "Công đoàn Xí nghiệp 1" not in html and "Công đoàn Xí nghiệp 2" not in html
    # the organisation filter offers only what they audit, and refuses the rest
    assert 'value="XN1"' not in html and 'value="XN3"' in html
    r = client.get(URL, {"organisation": "XN1"})
    assert r.status_code == 403 and "XN1" in r.content.decode()
    # nor does a dossier of XN1 asked by id show anything
    assert _seqs(_page(client, users["auditor_b"], {"initiative": trail["returned"]}).content.decode()) == []


def test_rows_read_in_words_with_names_states_links_and_hashes(trail, client, users):
    html = _page(client, users["auditor_n"], {"initiative": trail["returned"]}).content.decode()
    for words in ("Tạo bản nháp", "Nộp hồ sơ", "Trả lại", "Tư Vấn XN1", "Tác Giả Một", "Thiếu bảng số liệu đo nhiệt"):
        assert words in html, words
    assert "Công đoàn Xí nghiệp 1" in html and "Bản nháp" in html and "Tổ tư vấn" in html
    assert f'href="/initiatives/{trail["returned"]}/"' in html
    entry = AuditEntry.objects.filter(action="return").get()
    assert f"#{entry.seq} {entry.hash[:12]}" in html


def test_no_raw_action_code_or_state_on_the_vietnamese_page(trail, client, users):
    from initiatives.models import State
    from workflow.labels import TRAIL_ACTIONS

    boss = users["outsider"]
    boss.is_superuser = True
    boss.save(update_fields=["is_superuser"])
    client.force_login(boss)
    html = client.get(URL, {"order": "newest"}).content.decode()
    # what a person reads: the text outside tags, the attributes aside
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S))
    words = set(re.findall(r"[a-z_]+", text))
    raw = words & (set(TRAIL_ACTIONS) | set(State.values) | {"approve", "reject", "initiative", "user"})
    assert raw == set(), raw


def test_every_action_the_code_records_has_a_label():
    """Scan the code's calls to audit_record / _record: each action it writes is in the filter's
    list, with a label (a new action without one would show its code)."""
    from workflow.labels import TRAIL_ACTION_LABELS

    root = pathlib.Path(__file__).resolve().parents[2]
    written = set()
    for app in (
        "audit",
        "councils",
        "initiatives",
        "awards",
        "workflow",
        "library",
        "campaigns",
        "reports",
        "twofactor",
    ):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name not in ("audit_record", "_record"):
                    continue
                values = [kw.value for kw in node.keywords if kw.arg == "action"]
                if name == "_record" and len(node.args) >= 3:
                    values.append(node.args[2])
                for value in values:
                    for const in ast.walk(value):
                        if isinstance(const, ast.Constant) and isinstance(const.value, str):
                            written.add(const.value)
    written = {w for w in written if w and w != "authorship_"}
    written |= {"authorship_confirm", "authorship_decline"}
    assert len(written) > 30
    assert written - set(TRAIL_ACTION_LABELS) == set()


def test_filters_narrow_the_trail_and_keep_their_values(trail, client, users):
    auditor = users["auditor_n"]
    html = _page(client, auditor, {"actor": "u1_adv"}).content.decode()
    assert set(re.findall(r"<td data-label=\"Người thực hiện\">([^<]+)</td>", html)) == {"Tư Vấn XN1"}
    assert 'value="u1_adv"' in html
    html = _page(client, auditor, {"action": "submit"}).content.decode()
    assert set(re.findall(r"<td data-label=\"Thao tác\">([^<]+)</td>", html)) == {"Nộp hồ sơ"}
    assert '<option value="submit" selected>' in html
    html = _page(client, auditor, {"organisation": "XN3"}).content.decode()
    assert set(re.findall(r"<td data-label=\"Tổ chức\">([^<]+)</td>", html)) == {"Công đoàn Xí nghiệp 3"}
    assert '<option value="XN3" selected>' in html
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    assert _seqs(_page(client, auditor, {"since": today, "until": today}).content.decode())
    assert _seqs(_page(client, auditor, {"until": "2000-01-01"}).content.decode()) == []
    # the CSV link carries the same filters to the API, which takes the session
    html = _page(client, auditor, {"initiative": trail["returned"], "action": "return"}).content.decode()
    link = re.search(r'href="(/api/v1/audit/entries\.csv[^"]*)"', html).group(1).replace("&amp;", "&")
    assert f"initiative={trail['returned']}" in link and "action=return" in link
    r = client.get(link)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    body = b"".join(r.streaming_content).decode("utf-8-sig").splitlines()
    assert len(body) == 2 and ",return," in body[1] and "u1_adv" in body[1]


@pytest.mark.parametrize(
    "params,field,words",
    [
        ({"initiative": "abc"}, "initiative", "số nguyên dương"),
        ({"initiative": "-3"}, "initiative", "số nguyên dương"),
        ({"since": "2024-02-30"}, "since", "YYYY-MM-DD"),
        ({"until": "hôm qua"}, "until", "YYYY-MM-DD"),
        ({"since": "2024-05-02", "until": "2024-05-01"}, "until", "sau hoặc bằng"),
        ({"organisation": "KHONGCO"}, "organisation", "Không có tổ chức"),
        ({"actor": "x" * 151}, "actor", "Dài tối đa 150"),
        ({"action": "y" * 41}, "action", "Dài tối đa 40"),
        ({"order": "random"}, "order", "Thứ tự"),
        ({"before": "1e9"}, None, "Vị trí trang"),
    ],
)
def test_bad_filters_say_why_beside_the_field_and_keep_the_input(trail, client, users, params, field, words):
    r = _page(client, users["auditor_n"], params, status=400)
    html = r.content.decode()
    assert words in html
    if field:
        assert f'id="e-{field}"' in html and f'aria-describedby="e-{field}"' in html
    if field in ("initiative", "since", "until"):
        assert f'value="{params[field]}"' in html
    assert "<table" not in html and "Tải CSV" not in html


def test_paging_both_ways_without_duplicates(trail, client, users, settings):
    from workflow import selectors

    auditor = users["auditor_n"]
    total = list(
        AuditEntry.objects.filter(scope_path__startswith=auditor.organisation.path)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert len(total) > 12
    original = selectors.trail_page.__kwdefaults__["size"]
    selectors.trail_page.__kwdefaults__["size"] = 5
    try:
        for order, forward, back in (("oldest", "after", "before"), ("newest", "before", "after")):
            client.force_login(auditor)
            seen, pages, params = [], [], {"order": order}
            while True:
                html = client.get(URL, params).content.decode()
                rows = _seqs(html)
                pages.append((params, rows))
                seen += rows
                m = re.search(rf'href="\?([^"]*{forward}=\d+)"', html)
                if not m:
                    break
                params = dict(p.split("=") for p in m.group(1).replace("&amp;", "&").split("&"))
            expected = total if order == "oldest" else total[::-1]
            assert seen == expected, order  # every entry once, in order
            # and back again from the last page
            params, rows = pages[-1]
            html = client.get(URL, params).content.decode()
            m = re.search(rf'href="\?([^"]*{back}=\d+)"', html)
            params = dict(p.split("=") for p in m.group(1).replace("&amp;", "&").split("&"))
            assert _seqs(client.get(URL, params).content.decode()) == pages[-2][1]
    finally:
        selectors.trail_page.__kwdefaults__["size"] = original


def test_a_secret_ballots_votes_name_the_voters_never_the_decisions(trail, client, users):
    html = _page(client, users["auditor_n"], {"initiative": trail["secret"], "action": "vote"}).content.decode()
    assert "Ủy Viên XN2 Một" in html and "Ủy Viên XN2 Hai" in html
    table = re.sub(r"<code[^>]*>.*?</code>", "", html.split("<table", 1)[1])
    text = re.sub(r"<[^>]+>", " ", table)  # what a reader sees: attributes (a time's microseconds) aside
    for decision in ("Công nhận", "Không công nhận", "Chưa mới"):
        assert decision not in text, decision
    assert not re.search(r"(?<![\d:./])80(?![\d:./])", text), "the score"


def test_an_open_ballots_votes_show_the_decision(flow, client, users):
    iid = flow.to_unit_council()
    flow.vote("u1_sec", iid, "return", comment="Bổ sung số liệu")
    html = _page(client, users["auditor_n"], {"initiative": iid, "action": "vote"}).content.decode()
    assert "Biểu quyết: Trả lại để bổ sung" in html and "Thư Ký XN1" in html


def test_verify_on_request_and_the_last_checkpoint(trail, client, users):
    auditor = users["auditor_b"]
    html = _page(client, auditor).content.decode()
    assert "Chưa có mốc kiểm toán nào được ký" in html and "Chuỗi nguyên vẹn" not in html
    r = client.post(URL, {"do": "checkpoint"})
    assert r.status_code == 302
    checkpoint = AuditCheckpoint.objects.get()
    html = client.get(r["Location"]).content.decode()
    assert f"Đã ký mốc kiểm toán mới tại mục #{checkpoint.seq}" in html
    assert f"Mốc đã ký gần nhất: mục #{checkpoint.seq}" in html and checkpoint.key_id in html
    assert "data-confirm=" in html
    html = client.post(URL + "?action=submit", {"do": "verify"}).content.decode()
    assert re.search(r"Chuỗi nguyên vẹn: đã kiểm \d+ mục và 1 mốc đã ký", html)
    assert '<option value="submit" selected>' in html  # the filters stay
    # nothing new: no second checkpoint
    client.post(URL, {"do": "checkpoint"})
    assert AuditCheckpoint.objects.count() == 1


def test_verify_names_the_first_bad_entry(trail, client, users):
    entry = AuditEntry.objects.filter(action="return").get()
    AuditEntry.objects.filter(pk=entry.pk).update(comment="đã sửa lén")
    client.force_login(users["auditor_n"])
    html = client.post(URL, {"do": "verify"}).content.decode()
    assert f"Chuỗi không toàn vẹn từ mục #{entry.seq}" in html and "Chuỗi nguyên vẹn" not in html


def test_the_page_speaks_english_too(trail, client, users):
    client.force_login(users["auditor_n"])
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Audit trail" in html and "Submit" in html and "Nộp hồ sơ" not in html


# --- finding 8: no dead-end form ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditor_n", "auditor_b", "outsider_roleless"])
def test_who_may_create_nowhere_gets_no_button_and_a_page_that_says_why(users, client, who):
    from councils.models import Organisation

    if who == "outsider_roleless":
        user = users["officer_a"]
        user.organisation = Organisation.objects.get(code="NGANH")
        user.save(update_fields=["organisation"])
        from councils.models import RoleAssignment

        RoleAssignment.objects.filter(user=user).delete()
    else:
        user = users[who]
    client.force_login(user)
    assert reverse("initiative-new") not in client.get("/").content.decode()
    r = client.get("/initiatives/new/")
    assert r.status_code == 403
    html = r.content.decode()
    assert "Bạn không tạo được hồ sơ sáng kiến ở đơn vị nào" in html and 'name="title"' not in html
    r = client.post("/initiatives/new/", {"title": "Một sáng kiến không nơi nộp", "organisation": "XN1"})
    assert r.status_code == 403


@pytest.mark.parametrize("who", ["author1", "u1_adv", "officer_a", "admin_n"])
def test_who_may_create_still_gets_the_button_and_the_form(users, client, who):
    client.force_login(users[who])
    assert reverse("initiative-new") in client.get("/").content.decode()
    r = client.get("/initiatives/new/")
    assert r.status_code == 200 and 'name="title"' in r.content.decode()
