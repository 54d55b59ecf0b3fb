"""The pages of council meetings: a council's meetings with the schedule form, the meeting page
(agenda, a ballot per item, attendance, the close with the outcome per item, the minutes link) and
the links from the home page and the inbox."""

import pytest

from workflow.models import CouncilMeeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossiers(flow):
    return [flow.to_unit_council(title=f"Sáng kiến họp số {n} cho lưới điện") for n in (1, 2)]


def _login(client, users, who):
    client.force_login(users[who])
    return client


def test_the_chair_schedules_a_meeting_from_the_councils_page(dossiers, client, users, mailoutbox):
    c = _login(client, users, "u1_chair")
    page = c.get("/councils/XN1-HD/meetings/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lên lịch họp" in html and "Sáng kiến họp số 1 cho lưới điện" in html
    r = c.post(
        "/councils/XN1-HD/meetings/",
        {"held_on": "2026-12-20", "place": "Hội trường A", "initiatives": [str(i) for i in dossiers]},
    )
    meeting = CouncilMeeting.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/meetings/{meeting.pk}/"
    assert meeting.items.count() == 2
    # bad input comes back beside its fields, with what was written
    r = c.post("/councils/XN1-HD/meetings/", {"held_on": "", "place": "Hội trường B"})
    html = r.content.decode()
    assert r.status_code == 400 and 'id="e-held_on"' in html and 'id="e-initiatives"' in html and "Hội trường B" in html


def test_a_member_sees_no_form_and_an_outsider_gets_404(dossiers, client, users):
    html = _login(client, users, "u1_m1").get("/councils/XN1-HD/meetings/").content.decode()
    assert "Lên lịch họp" not in html
    r = client.post("/councils/XN1-HD/meetings/", {"held_on": "2026-12-20", "place": "X", "initiatives": dossiers})
    assert r.status_code == 302 and not CouncilMeeting.objects.exists()
    assert _login(client, users, "outsider").get("/councils/XN1-HD/meetings/").status_code == 404


def test_the_meeting_page_members_vote_and_the_chair_closes(
    dossiers, client, users, django_capture_on_commit_callbacks
):
    from workflow.meetings import meeting_schedule

    with django_capture_on_commit_callbacks(execute=True):
        meeting = meeting_schedule(
            council_id=users["u1_chair"].memberships.get().council_id,
            actor=users["u1_chair"],
            held_on="2026-12-20",
            place="Hội trường A",
            initiatives=dossiers,
        )
    url = f"/meetings/{meeting.pk}/"
    # the meeting shows on the members' home page and inbox
    member = _login(client, users, "u1_m1")
    assert url in member.get("/").content.decode() and url in member.get("/tasks/").content.decode()
    assert url in member.get(f"/initiatives/{dossiers[0]}/").content.decode()  # the dossier's page links it
    html = member.get(url).content.decode()
    assert html.count('name="decision"') == 6 and "Kết thúc cuộc họp" not in html
    for who in ("u1_chair", "u1_sec", "u1_m1"):
        r = _login(client, users, who).post(f"{url}vote/{dossiers[0]}/", {"decision": "approve", "score": "85"})
        assert r.status_code == 302 and r["Location"].endswith(f"#item-{dossiers[0]}")
    html = client.get(url).content.decode()
    assert html.count('name="decision"') == 3  # u1_m1 has voted on the first item only
    assert "Đã bỏ 3 phiếu" in html and "Ủy Viên XN1" in html  # an open ballot: who voted
    client = _login(client, users, "u1_chair")
    r = client.post(f"{url}attendance/", {"present": ["u1_chair", "u1_sec"]})
    assert r.status_code == 302
    r = client.post(f"{url}close/", follow=True)
    html = r.content.decode()
    assert "1 hồ sơ được quyết định, 1 hồ sơ chưa quyết định được" in html
    assert "Quyết định: Công nhận, chuyển cấp trên" in html and "Chưa đủ số phiếu tối thiểu" in html
    assert f"/api/v1/meetings/{meeting.pk}/minutes.pdf" in html and "Kết thúc cuộc họp" not in html
    pdf = client.get(f"/api/v1/meetings/{meeting.pk}/minutes.pdf")  # the session login reaches the API
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # in English too
    client.cookies["django_language"] = "en"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Quorum not reached" in html
