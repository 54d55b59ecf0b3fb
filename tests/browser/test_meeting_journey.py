"""A council meeting through the pages, in headless Chromium: the chair schedules a meeting of three
dossiers, the members vote item by item, the chair closes it (one item, short of its quorum, stays
open with its reason) and downloads the minutes PDF."""

import io

import pytest
from pypdf import PdfReader

from councils.models import User
from tests.browser.checks import look

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(structure):
    for u in User.objects.all():
        u.set_password("mat-khau-thu-nghiem")
        u.save()


def test_a_chair_runs_a_meeting_of_three_dossiers_and_prints_its_minutes(people, login, live_server, flow):
    ids = [flow.to_unit_council(title=f"Sáng kiến số {n} về trạm biến áp") for n in (1, 2, 3)]
    dialogs = []
    chair = login("u1_chair", dialogs=dialogs)
    chair.goto(f"{live_server.url}/")
    chair.click("text=Các cuộc họp của XN1-HD")
    chair.fill("#m-held-on", "2026-12-20")
    chair.fill("#m-place", "Hội trường trạm 110kV")
    for iid in ids:
        chair.check(f"input[name=initiatives][value='{iid}']")
    chair.click("main button.primary")
    chair.wait_for_load_state()
    assert "/meetings/" in chair.url and "Chương trình họp" in chair.content()
    meeting_url = chair.url.split("#")[0]
    # the chair votes on the first two items on the page; the other members by the API
    for iid in ids[:2]:
        chair.check(f"#item-{iid} input[name=decision][value=approve]")
        chair.click(f"#item-{iid} button.primary")
        chair.wait_for_load_state()
        assert "Đã ghi nhận phiếu của bạn" in chair.content()
    for who in ("u1_sec", "u1_m1"):
        for iid in ids[:2]:
            flow.vote(who, iid, "approve", score=80)
    member = login("u1_m1")
    member.goto(meeting_url)
    look(member, "meeting-member")
    chair.goto(meeting_url)
    chair.check("input[name=present][value=u1_sec]")
    chair.click("text=Lưu danh sách có mặt")
    chair.wait_for_load_state()
    chair.click("#close-meeting")
    chair.wait_for_load_state()
    assert dialogs and "Kết thúc cuộc họp" in dialogs[-1]
    html = chair.content()
    assert "2 hồ sơ được quyết định, 1 hồ sơ chưa quyết định được" in html
    assert "Chưa đủ số phiếu tối thiểu" in html
    look(chair, "meeting-closed")
    href = chair.get_attribute("#minutes-pdf", "href")
    pdf = chair.request.get(f"{live_server.url}{href}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "BIÊN BẢN HỌP HỘI ĐỒNG XÉT DUYỆT SÁNG KIẾN" in text and "Sáng kiến số 3 về trạm biến áp" in text
    assert flow.state(ids[0]) == flow.state(ids[1]) == "corporation_council" and flow.state(ids[2]) == "unit_council"
