"""The lifecycle's pages, through the Django test client (the browser journey is in tests/browser)."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_detail_page_shows_who_is_awaited_and_holds_close_until_quorum(flow, client, users):
    iid = flow.to_unit_council()
    flow.vote("u1_sec", iid, "approve")
    client.force_login(users["u1_chair"])
    html = client.get(f"/initiatives/{iid}/").content.decode()
    assert "Đã bỏ phiếu 1/3 thành viên (cần tối thiểu 3)" in html
    assert "Chủ Tịch XN1" in html and "Ủy Viên XN1" in html  # still awaited
    assert 'value="close" disabled' in html
    assert "Công nhận, chuyển cấp trên" in html and "(approve)" not in html  # the vote choices are words, not codes
    flow.vote("u1_chair", iid, "approve")
    flow.vote("u1_m1", iid, "approve")
    html = client.get(f"/initiatives/{iid}/").content.decode()
    assert 'value="close" disabled' not in html and "Còn chờ" not in html


def test_history_reads_in_words_with_full_names(flow, client, users):
    iid = flow.to_unit_council()
    flow.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "approve", "u1_chair")
    client.force_login(users["auditor_n"])
    html = client.get(f"/initiatives/{iid}/").content.decode()
    for words in ("Nộp hồ sơ", "Chuyển hội đồng", "Kết thúc phiên xét", "Tác Giả Một", "Tư Vấn XN1", "điểm 80"):
        assert words in html, words
    assert "Hội đồng cấp tổng công ty" in html


def test_the_form_says_which_author_line_is_wrong(client, users):
    client.force_login(users["author1"])
    r = client.post(
        "/initiatives/new/",
        {
            "title": "Sáng kiến thử biểu mẫu tác giả",
            "organisation": "XN1",
            "category": "technical",
            "authors": "author1: 50\nghost: 150",
        },
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert "Tác giả 2: không có người dùng &#x27;ghost&#x27;" in html and "ErrorDetail" not in html
    assert 'aria-invalid="true"' in html


def test_forward_says_where_the_dossier_goes(flow, client, users):
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    client.force_login(users["u1_adv"])
    html = client.get(f"/initiatives/{iid}/").content.decode()
    assert "Hồ sơ sẽ được chuyển đến" in html and "XN1" in html


def test_a_refused_ballot_comes_back_as_written_with_each_error_beside_its_field(flow, client, users):
    """Issue 9, finding 2: a ballot refused for a missing reason wiped the decision, the score and
    the comment, and errors came one at a time as a banner."""
    from workflow.models import BallotCast

    iid = flow.to_unit_council()
    client.force_login(users["u1_sec"])
    url = f"/initiatives/{iid}/vote/"
    r = client.post(url, {"decision": "return", "score": "75", "comment": "   "})
    page = r.content.decode()
    assert r.status_code == 400
    assert 'value="return" required checked' in page and 'value="75"' in page
    assert 'id="v-comment-error"' in page and "cần nêu lý do" in page
    assert 'id="v-comment" name="comment" rows="2" class="invalid" aria-invalid="true"' in page
    assert not BallotCast.objects.exists()

    r = client.post(url, {"decision": "reject", "score": "abc", "comment": "Chưa có số liệu đo đạc"})
    page = r.content.decode()
    assert r.status_code == 400 and 'id="v-score-error"' in page
    assert "Chưa có số liệu đo đạc</textarea>" in page and 'value="reject" required checked' in page
    assert not BallotCast.objects.exists()

    r = client.post(url, {"decision": "return", "score": "75", "comment": "Cần bổ sung số liệu"})
    assert r.status_code == 302 and BallotCast.objects.count() == 1
