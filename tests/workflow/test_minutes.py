"""A dossier's council sessions and their printable minutes (API.md: ``GET /initiatives/{id}/sessions/``,
``GET /sessions/{sid}/minutes.pdf``; issue 9, build 6): what the close recorded, in Vietnamese, with
signature lines; never a tally before the close, never a secret ballot's voters, never to who may
not see the dossier."""

import io

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def decided(flow):
    """XN1's open council returned one, then approved it after resubmission; XN2's secret council is still voting."""
    iid = flow.to_unit_council()
    flow.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "return", "u1_chair", comment="Thiếu số liệu đo")
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "forward")
    flow.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "approve", "u1_chair")
    secret = flow.to_unit_council(
        "author2", "a_adv", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}]
    )
    flow.vote("u2_m1", secret, "approve", score=91)
    return {"open": iid, "secret": secret}


def test_the_sessions_of_a_dossier_with_their_minutes(decided, api, users):
    r = api(users["author1"]).get(f"/api/v1/initiatives/{decided['open']}/sessions/")
    assert r.status_code == 200
    rows = r.json()
    assert [(s["council"], s["outcome"]) for s in rows] == [
        ("XN1-HD", "return"),
        ("XN1-HD", "approve"),
        ("TCTA-HD", ""),
    ]
    first = rows[0]
    assert first["minutes"]["tally"] == {"return": 3} and first["minutes"]["comment"]
    assert first["minutes_pdf"] == f"/api/v1/sessions/{first['id']}/minutes.pdf"
    assert rows[2]["closed_at"] is None and rows[2]["minutes"] == {} and rows[2]["minutes_pdf"] is None


def test_the_minutes_pdf_is_a_vietnamese_document_with_signature_lines(decided, api, users):
    sid = api(users["u1_chair"]).get(f"/api/v1/initiatives/{decided['open']}/sessions/").json()[1]["id"]
    r = api(users["u1_chair"]).get(f"/api/v1/sessions/{sid}/minutes.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = _text(r.content)
    assert "BIÊN BẢN PHIÊN XÉT SÁNG KIẾN" in text and "CÔNG ĐOÀN XÍ NGHIỆP 1" in text
    assert "Cải tiến quy trình kiểm tra máy biến áp" in text
    assert "Công nhận, chuyển cấp trên: 3 phiếu" in text
    assert "Quyết định của hội đồng: Công nhận, chuyển cấp trên" in text
    assert "Chủ Tịch XN1: Công nhận, chuyển cấp trên — điểm 80" in text  # an open ballot names its voters
    assert "THƯ KÝ" in text and "CHỦ TỊCH HỘI ĐỒNG" in text and "(Ký, ghi rõ họ tên)" in text
    assert "Thư Ký XN1" in text
    for english in ("Minutes", "approve", "Approved", "Chair"):
        assert english not in text, english


def test_a_secret_ballots_minutes_never_name_a_voter_nor_show_a_tally_before_the_close(decided, api, users, flow):
    rows = api(users["u2_chair"]).get(f"/api/v1/initiatives/{decided['secret']}/sessions/").json()
    (open_session,) = [s for s in rows if s["closed_at"] is None]
    assert open_session["minutes"] == {}
    r = api(users["u2_chair"]).get(f"/api/v1/sessions/{open_session['id']}/minutes.pdf")
    assert r.status_code == 409 and r.json()["code"] == "session_open"
    flow.vote("u2_m2", decided["secret"], "approve", score=70)
    flow.act("u2_chair", decided["secret"], "close")
    text = _text(api(users["u2_chair"]).get(f"/api/v1/sessions/{open_session['id']}/minutes.pdf").content)
    assert "bỏ phiếu kín" in text and "Công nhận, chuyển cấp trên: 2 phiếu" in text
    assert "Ủy Viên XN2 Một" not in text and "Ủy Viên XN2 Hai" not in text
    assert "biên bản không ghi ai bỏ phiếu nào" in text


@pytest.mark.parametrize("who", ["outsider", "author3", "officer_x1"])
def test_who_may_not_see_the_dossier_gets_404(decided, api, users, who):
    from workflow.models import CouncilSession

    sid = CouncilSession.objects.filter(initiative_id=decided["secret"]).values_list("pk", flat=True).first()
    # officer_x1 is over XN1, not XN2: the secret ballot's dossier is not theirs
    assert api(users[who]).get(f"/api/v1/initiatives/{decided['secret']}/sessions/").status_code == 404
    assert api(users[who]).get(f"/api/v1/sessions/{sid}/minutes.pdf").status_code == 404
    assert api(users[who]).get("/api/v1/sessions/99999999999999999999/minutes.pdf").status_code == 404


def test_the_detail_page_links_each_closed_sessions_minutes(decided, client, users):
    client.force_login(users["author1"])
    html = client.get(f"/initiatives/{decided['open']}/").content.decode()
    assert "Các phiên xét" in html and html.count("Biên bản (PDF, để in và ký)") == 2 and "đang mở" in html
