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


def test_a_returned_dossier_says_so_at_the_top_and_in_the_inbox(flow, client, users):
    """Issue 9, finding 1: the author of a returned dossier saw only "Bản nháp"; the reasons sat at
    the bottom of the history and the inbox did not say "returned"."""
    iid = flow.to_unit_council()
    flow.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "return", "u1_chair", comment="Thiếu số liệu đo đạc")
    client.force_login(users["author1"])
    page = client.get(f"/initiatives/{iid}/").content.decode()
    top = page[: page.index("Thao tác")]  # before the actions and the history
    assert 'id="returned"' in top and "Hồ sơ bị trả lại" in top and "Thiếu số liệu đo đạc" in top
    assert "trả lại hồ sơ ngày" in top
    for url in ("/tasks/", "/initiatives/"):
        assert "bị trả lại" in client.get(url).content.decode(), url
    # an adviser's return names the adviser
    other = flow.draft(title="Cải tiến sổ tay kiểm tra trạm biến áp")
    flow.act("author1", other, "submit")
    flow.act("u1_adv", other, "return", comment="Bổ sung ảnh chụp hiện trường")
    page = client.get(f"/initiatives/{other}/").content.decode()
    assert "Tư Vấn XN1 (tổ tư vấn) trả lại hồ sơ" in page and "Bổ sung ảnh chụp hiện trường" in page
    # a draft never submitted has no such box; an officer who may not see the content neither
    fresh = flow.draft(title="Bản nháp mới chưa từng nộp")
    assert 'id="returned"' not in client.get(f"/initiatives/{fresh}/").content.decode()


def test_actions_say_what_will_happen_and_what_happened(flow, client, users):
    """Issue 9, finding 3 and 4: confirmations name the consequence; after close the message says
    the decision; restart is not offered beside close until a close was refused."""
    iid = flow.to_unit_council()
    client.force_login(users["u1_chair"])
    page = client.get(f"/initiatives/{iid}/").content.decode()
    assert 'data-confirm="Kết thúc phiên xét?' in page
    flow.vote("u1_sec", iid, "approve")
    page = client.get(f"/initiatives/{iid}/").content.decode()
    assert 'value="restart"' not in page  # a vote cast: still no "void every vote" beside close
    r = client.post(f"/initiatives/{iid}/act/close/", {"comment": ""}, follow=True)
    assert "Chưa đủ số phiếu" in r.content.decode() or "tối thiểu" in r.content.decode()
    page = client.get(f"/initiatives/{iid}/").content.decode()
    assert 'value="restart"' in page and 'data-confirm="Hủy mọi phiếu đã bỏ' in page  # now it is offered
    flow.vote("u1_chair", iid, "approve")
    flow.vote("u1_m1", iid, "approve")
    r = client.post(f"/initiatives/{iid}/act/close/", {"comment": ""}, follow=True)
    page = r.content.decode()
    assert "Hội đồng quyết định «Công nhận, chuyển cấp trên»: hồ sơ nay ở bước" in page
    client.force_login(users["author1"])
    draft = flow.draft(title="Cải tiến quy trình cấp phát vật tư")
    assert 'data-confirm="Nộp hồ sơ cho tổ tư vấn?' in client.get(f"/initiatives/{draft}/").content.decode()


def test_the_ballot_comes_first_and_no_close_comment_before_the_quorum(flow, client, users):
    """Issue 9, finding 7: the vote panel does not put a close form with its own comment box above
    the ballot; the close's comment box appears once the session can close."""
    iid = flow.to_unit_council()
    client.force_login(users["u1_chair"])
    html = client.get(f"/initiatives/{iid}/").content.decode()
    assert html.index(f'action="/initiatives/{iid}/vote/"') < html.index('value="close"')
    assert 'id="c-close"' not in html and "Chưa đủ số phiếu tối thiểu để kết thúc phiên." in html
    for member in ("u1_chair", "u1_sec", "u1_m1"):
        flow.vote(member, iid, "approve")
    html = client.get(f"/initiatives/{iid}/").content.decode()
    assert 'id="c-close"' in html and "Chưa đủ số phiếu tối thiểu" not in html
