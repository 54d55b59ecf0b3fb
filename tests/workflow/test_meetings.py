"""Council meetings (API.md, issue 10 item 1): ``POST/GET /councils/{code}/meetings/``,
``GET /meetings/{mid}/``, ``POST /meetings/{mid}/attendance/``, ``POST /meetings/{mid}/close/``,
``GET /meetings/{mid}/minutes.pdf``: one sitting decides several dossiers, each exactly as its own
close would; what cannot close stays open with its reason; one set of minutes."""

import io

import pytest
from pypdf import PdfReader

from audit.models import AuditEntry
from audit.selectors import audit_verify
from awards.models import Certificate, Quota
from councils.models import Council, CouncilSubstitute
from initiatives.models import Initiative
from workflow.models import CouncilMeeting, CouncilSession

pytestmark = pytest.mark.django_db

XN1 = ["u1_chair", "u1_sec", "u1_m1"]


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def post(api, users, django_capture_on_commit_callbacks):
    def send(user, url, body=None, expect=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            r = api(users[user]).post(url, body or {}, format="json", **extra)
        if expect is not None:
            assert r.status_code == expect, (r.status_code, r.content)
        return r

    return send


@pytest.fixture
def three(flow):
    """Three dossiers before XN1's open council (quorum 3)."""
    return [flow.to_unit_council(title=f"Sáng kiến số {n} cho trạm biến áp 110kV") for n in (1, 2, 3)]


def _schedule(post, ids, user="u1_chair", council="XN1-HD", expect=201):
    return post(
        user,
        f"/api/v1/councils/{council}/meetings/",
        {"held_on": "2026-12-15", "place": "Phòng họp tầng 3", "initiatives": ids},
        expect=expect,
    )


def test_the_chair_schedules_lists_and_members_see_the_agenda(three, post, api, users):
    from notifications.models import Notification

    r = _schedule(post, three)
    meeting = r.json()
    assert meeting["council"] == "XN1-HD" and meeting["state"] == "scheduled" and meeting["held_on"] == "2026-12-15"
    assert [i["initiative"] for i in meeting["agenda"]] == three
    assert all(i["status"] == "pending" and i["votes_cast"] == 0 and i["tally"] == {} for i in meeting["agenda"])
    assert meeting["available_actions"] == ["attendance", "close"] and meeting["minutes"] is None
    # the members are told (in the application and by mail)
    assert Notification.objects.filter(recipient=users["u1_m1"], url=f"/meetings/{meeting['id']}/").exists()
    listed = api(users["u1_m1"]).get("/api/v1/councils/XN1-HD/meetings/").json()
    assert listed["count"] == 1 and listed["results"][0]["items"] == 3
    seen = api(users["u1_m1"]).get(f"/api/v1/meetings/{meeting['id']}/").json()
    assert seen["available_actions"] == [] and len(seen["agenda"]) == 3
    entry = AuditEntry.objects.filter(action="meeting_schedule").get()
    assert entry.details["initiatives"] == three and entry.actor_name == "u1_chair"


def test_the_secretary_may_schedule_too(three, post):
    _schedule(post, three[:1], user="u1_sec")


@pytest.mark.parametrize("bad", ["draft", "other_council", "unknown"])
def test_a_dossier_not_before_this_council_is_refused_naming_it(three, post, flow, bad):
    other = {
        "draft": lambda: flow.draft(),
        "other_council": lambda: flow.to_unit_council(
            "author2", "a_adv", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}]
        ),
        "unknown": lambda: 987654,
    }[bad]()
    r = _schedule(post, [three[0], other], expect=400)
    assert list(r.json()) == ["initiatives"] and str(other) in r.json()["initiatives"][0]
    assert not CouncilMeeting.objects.exists()


def test_bad_bodies_get_400_naming_the_field(three, post):
    r = post("u1_chair", "/api/v1/councils/XN1-HD/meetings/", {"held_on": "15/12/2026", "initiatives": []}, expect=400)
    assert set(r.json()) == {"held_on", "place", "initiatives"}
    r = _schedule(post, [three[0], three[0]], expect=400)
    assert str(three[0]) in r.json()["initiatives"][0]
    r = post("u1_chair", "/api/v1/councils/XN1-HD/meetings/", ["x"], expect=400)
    _schedule(post, [three[0]])
    r = _schedule(post, [three[0]], expect=400)  # already on a meeting not yet closed
    assert str(three[0]) in r.json()["initiatives"][0]


def test_a_member_who_is_not_chair_or_secretary_gets_403_an_outsider_404(three, post, api, users):
    assert _schedule(post, three, user="u1_m1", expect=403).json()["detail"]
    mid = _schedule(post, three).json()["id"]
    for url in (f"/api/v1/meetings/{mid}/close/", f"/api/v1/meetings/{mid}/attendance/"):
        post("u1_m1", url, {"present": ["u1_m1"]}, expect=403)
    for who in ("outsider", "author3", "c_chair"):
        assert api(users[who]).get(f"/api/v1/meetings/{mid}/").status_code == 404
        assert api(users[who]).get("/api/v1/councils/XN1-HD/meetings/").status_code == 404
        assert api(users[who]).get(f"/api/v1/meetings/{mid}/minutes.pdf").status_code == 404
        post(who, f"/api/v1/meetings/{mid}/close/", expect=404)
        _schedule(post, three, user=who, expect=404)
    assert api(users["u1_chair"]).get("/api/v1/councils/NOPE/meetings/").status_code == 404
    # officers and auditors over the council's unit see its meetings
    assert api(users["officer_x1"]).get(f"/api/v1/meetings/{mid}/").status_code == 200
    assert api(users["auditor_n"]).get("/api/v1/councils/XN1-HD/meetings/").status_code == 200


def test_the_close_decides_what_it_can_and_lists_what_stays_open(three, post, flow, api, users):
    a, b, c = three
    mid = _schedule(post, three).json()["id"]
    for v in XN1:
        flow.vote(v, a, "approve", score=90)
        flow.vote(v, b, "reject", comment="Không mới trong đơn vị")
    flow.vote("u1_m1", c, "approve")
    before = api(users["u1_sec"]).get(f"/api/v1/meetings/{mid}/").json()
    assert [i["votes_cast"] for i in before["agenda"]] == [3, 3, 1]
    assert before["agenda"][2]["voters"] == ["u1_m1"] and before["agenda"][0]["tally"] == {}  # no tally before
    post("u1_sec", f"/api/v1/meetings/{mid}/attendance/", {"present": ["u1_chair", "u1_sec"]}, expect=200)
    r = post("u1_chair", f"/api/v1/meetings/{mid}/close/", expect=200).json()
    assert r["state"] == "closed" and r["closed_by"] == "u1_chair" and r["available_actions"] == []
    items = {i["initiative"]: i for i in r["agenda"]}
    assert items[a]["status"] == "decided" and items[a]["outcome"] == "approve"
    assert items[a]["tally"] == {"approve": 3}
    assert items[b]["outcome"] == "reject" and flow.state(b) == "rejected"
    assert items[c]["status"] == "stayed_open" and items[c]["reason_code"] == "quorum_not_reached"
    assert "1 trên 3" in items[c]["reason"]
    assert flow.state(a) == "corporation_council" and flow.state(c) == "unit_council"
    # each item closed as its own close: its session, minutes and trail entry
    session = CouncilSession.objects.get(initiative_id=a, council__code="XN1-HD")
    assert session.outcome == "approve" and session.minutes["tally"] == {"approve": 3}
    assert [h["action"] for h in flow.history("auditor_n", a)][-1] == "close"
    assert CouncilSession.objects.get(initiative_id=c, closed_at__isnull=True)
    minutes = r["minutes"]
    assert (minutes["decided"], minutes["stayed_open"]) == (2, 1)
    assert {p["username"]: p["source"] for p in minutes["present"]} == {
        "u1_chair": "marked",
        "u1_sec": "marked",
        "u1_m1": "voted",
    }
    assert [p["username"] for p in r["present"]] == ["u1_chair", "u1_m1", "u1_sec"]
    assert minutes["items"][2]["reason_code"] == "quorum_not_reached"
    # the reason in the request's language, from the stored minutes
    en = api(users["u1_chair"]).get(f"/api/v1/meetings/{mid}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert "quorum" in en["agenda"][2]["reason"].lower() and "1 of the 3" in en["agenda"][2]["reason"]
    close = AuditEntry.objects.get(action="meeting_close")
    assert close.details["decided"] == {str(a): "approve", str(b): "reject"}
    assert close.details["stayed_open"] == {str(c): "quorum_not_reached"}
    assert audit_verify().ok
    # closed: 409 for a second close and for attendance; the stayed-open item can go on a new meeting
    assert post("u1_chair", f"/api/v1/meetings/{mid}/close/", expect=409).json()["code"] == "meeting_closed"
    post("u1_chair", f"/api/v1/meetings/{mid}/attendance/", {"present": []}, expect=409)
    _schedule(post, [c])


def test_a_dossier_decided_by_its_own_close_shows_as_decided(three, post, flow, api, users):
    a, b, _c = three
    mid = _schedule(post, [a, b]).json()["id"]
    flow.council_decides(a, XN1, "approve", "u1_chair")  # its own close, without the meeting
    seen = api(users["u1_chair"]).get(f"/api/v1/meetings/{mid}/").json()
    assert seen["agenda"][0]["status"] == "decided_before" and seen["agenda"][0]["outcome"] == "approve"
    r = post("u1_chair", f"/api/v1/meetings/{mid}/close/", expect=200).json()
    assert r["agenda"][0]["status"] == "decided_before" and r["minutes"]["decided_before"] == 1
    assert r["agenda"][1]["status"] == "stayed_open"
    assert CouncilSession.objects.filter(initiative_id=a, council__code="XN1-HD", closed_at__isnull=False).count() == 1


def test_a_recused_chair_leaves_their_own_dossier_open(flow, post, api, users):
    mine = flow.draft(
        authors=[{"username": "author1", "share_percent": 60}, {"username": "u1_chair", "share_percent": 40}]
    )
    r = api(users["u1_chair"]).post(f"/api/v1/initiatives/{mine}/authorship/", {"decision": "confirm"}, format="json")
    assert r.status_code == 200
    flow.act("author1", mine, "submit")
    flow.act("u1_adv", mine, "forward")
    other = flow.to_unit_council()
    mid = _schedule(post, [mine, other], user="u1_sec").json()["id"]
    r = post("u1_chair", f"/api/v1/meetings/{mid}/close/", expect=200).json()
    assert r["agenda"][0]["reason_code"] == "forbidden" and "tác giả" in r["agenda"][0]["reason"]
    assert r["agenda"][1]["reason_code"] == "quorum_not_reached"


def test_a_secret_ballot_meeting_shows_no_one_s_vote(flow, post, api, users):
    kw = {"organisation": "XN2", "authors": [{"username": "author2", "share_percent": 100}]}
    ids = [flow.to_unit_council("author2", "a_adv", **kw) for _ in range(2)]
    mid = _schedule(post, ids, user="u2_chair", council="XN2-HD").json()["id"]
    flow.vote("u2_m1", ids[0], "approve", score=91, comment="Rất tốt")
    flow.vote("u2_m2", ids[0], "approve", score=70)
    flow.vote("u2_chair", ids[1], "return", comment="Thiếu số liệu")
    before = api(users["u2_chair"]).get(f"/api/v1/meetings/{mid}/").json()
    assert before["agenda"][0]["votes_cast"] == 2 and before["agenda"][0]["voters"] == []
    r = post("u2_chair", f"/api/v1/meetings/{mid}/close/", expect=200).json()
    item = r["agenda"][0]
    assert item["tally"] == {"approve": 2} and item["ballot"] == "secret"
    assert all("voter" not in v for v in item["votes"])
    assert r["agenda"][1]["status"] == "stayed_open"
    text = _text(api(users["u2_m1"]).get(f"/api/v1/meetings/{mid}/minutes.pdf").content)
    assert "biên bản không ghi ai bỏ phiếu nào" in text
    assert "Ủy Viên XN2 Một: " not in text and "Ủy Viên XN2 Hai: " not in text


def test_quota_effects_through_a_meeting_equal_a_single_close(flow, post, api, users):
    Quota.objects.filter(award="sector_certificate").update(cap=2)
    alone, first, second = flow.to_sector(), flow.to_sector(), flow.to_sector()
    flow.council_decides(alone, ["s_chair", "s_m1"], "certify", "s_chair")  # a single close
    for iid in (first, second):
        flow.vote("s_chair", iid, "certify")
        flow.vote("s_m1", iid, "certify")
    mid = _schedule(post, [first, second], user="s_sec", council="NGANH-HD").json()["id"]
    r = post("s_sec", f"/api/v1/meetings/{mid}/close/", expect=200).json()
    assert r["agenda"][0]["status"] == "decided" and r["agenda"][0]["outcome"] == "certify"
    assert r["agenda"][0]["certificate"]
    assert r["agenda"][1]["status"] == "stayed_open" and r["agenda"][1]["reason_code"] == "quota_exhausted"
    for iid in (alone, first):
        assert Certificate.objects.filter(initiative_id=iid, award="sector_certificate").count() == 1
        assert flow.state(iid) == "sector_certified"
        assert [h["action"] for h in flow.history("auditor_n", iid)][-2:] in (["award", "close"], ["close", "award"])
    assert not Certificate.objects.filter(initiative_id=second).exists() and flow.state(second) == "sector_review"
    quotas = api(users["s_chair"]).get("/api/v1/quotas/").json()["results"]
    assert [q["used"] for q in quotas if q["award"] == "sector_certificate"] == [2]
    assert audit_verify().ok


def test_the_minutes_pdf(three, post, flow, api, users):
    a, b, c = three
    mid = _schedule(post, three).json()["id"]
    assert api(users["u1_chair"]).get(f"/api/v1/meetings/{mid}/minutes.pdf").json()["code"] == "meeting_open"
    for v in XN1:
        flow.vote(v, a, "approve")
    post("u1_chair", f"/api/v1/meetings/{mid}/close/", expect=200)
    r = api(users["u1_m1"]).get(f"/api/v1/meetings/{mid}/minutes.pdf", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    text = _text(r.content)
    assert "BIÊN BẢN HỌP HỘI ĐỒNG XÉT DUYỆT SÁNG KIẾN" in text and "CÔNG ĐOÀN XÍ NGHIỆP 1" in text
    assert "Phòng họp tầng 3" in text and "15/12/2026" in text
    assert "Sáng kiến số 1 cho trạm biến áp 110kV" in text and "Công nhận, chuyển cấp trên: 3" in text
    assert "Chủ Tịch XN1: Công nhận, chuyển cấp trên" in text  # an open ballot names its voters
    assert "Chưa quyết định được" in text and "Chưa đủ số phiếu tối thiểu" in text
    assert "THƯ KÝ" in text and "CHỦ TỊCH HỘI ĐỒNG" in text and "(Ký, ghi rõ họ tên)" in text and "Thư Ký XN1" in text


def test_confidential_titles_stay_hidden_from_who_may_not_open_them(flow, post, api, users):
    secret = flow.to_unit_council(title="Bí quyết làm mát máy biến áp bằng dầu", confidential=True)
    plain = flow.to_unit_council()
    mid = _schedule(post, [secret, plain]).json()["id"]
    for v in XN1:
        flow.vote(v, secret, "approve")
    post("u1_chair", f"/api/v1/meetings/{mid}/close/", expect=200)
    council = Council.objects.get(code="XN1-HD")
    CouncilSubstitute.objects.create(council=council, user=users["outsider"], position=1)
    seen = api(users["outsider"]).get(f"/api/v1/meetings/{mid}/").json()  # a substitute, not sitting in
    item = seen["agenda"][0]
    assert item["title"] == "một hồ sơ bảo mật của đơn vị XN1" and item["tally"] == {} and not item["title_visible"]
    assert seen["minutes"]["items"][0]["title"] == "một hồ sơ bảo mật của đơn vị XN1"
    assert "Bí quyết" not in str(seen)
    text = _text(api(users["outsider"]).get(f"/api/v1/meetings/{mid}/minutes.pdf").content)
    assert "Bí quyết" not in text and "một hồ sơ bảo mật của đơn vị XN1" in text
    # an officer over the unit opens the dossier (its title is public) but not its content
    officer = api(users["officer_x1"]).get(f"/api/v1/meetings/{mid}/").json()["agenda"][0]
    assert officer["title"].startswith("Bí quyết") and officer["tally"] == {} and officer["votes"] == []
    member = api(users["u1_m1"]).get(f"/api/v1/meetings/{mid}/").json()["agenda"][0]
    assert member["title"].startswith("Bí quyết") and member["tally"] == {"approve": 3}


def test_attendance_names_only_members_and_substitutes(three, post, api, users):
    mid = _schedule(post, three).json()["id"]
    r = post("u1_chair", f"/api/v1/meetings/{mid}/attendance/", {"present": ["u1_m1", "outsider"]}, expect=400)
    assert "outsider" in r.json()["present"][0]
    r = post("u1_chair", f"/api/v1/meetings/{mid}/attendance/", {"present": ["u1_m1"]}, expect=200).json()
    assert r["present"] == [{"username": "u1_m1", "full_name": "Ủy Viên XN1", "seat": "member", "source": "marked"}]
    assert AuditEntry.objects.filter(action="meeting_attendance").count() == 1
    assert Initiative.objects.filter(pk__in=three, state="unit_council").count() == 3
