"""Complete journeys through the API, with the test tree's people in their roles."""

import pytest
from django.utils import timezone

from initiatives.models import DossierVersion, Initiative
from workflow.models import CouncilSession

pytestmark = pytest.mark.django_db


def test_draft_to_corporation_and_sector_review_with_minutes_and_history(flow, mailoutbox):
    iid = flow.draft()
    d = flow.act("author1", iid, "submit")
    assert d["state"] == "advisory_review" and d["dossier_version"] == 1
    assert "forward" in flow.get("u1_adv", iid)["available_actions"]
    d = flow.act("u1_adv", iid, "forward")
    assert d["state"] == "unit_council" and d["council"] == "XN1-HD"
    due = Initiative.objects.get(pk=iid).due_at
    assert abs((due - timezone.now()).days - 90) <= 1
    assert d["due_at"]
    # members were told a session opened (the recused author-member u1_m1 too? no: author1 is the author)
    told = {m.to[0] for m in mailoutbox if "Hồ sơ mới cần xét" in m.subject}
    assert told == {"u1_chair@example.org", "u1_sec@example.org", "u1_m1@example.org"}
    for u in ("u1_chair", "u1_sec", "u1_m1"):
        flow.vote(u, iid, "approve", score=85, comment="tốt")
    d = flow.act("u1_chair", iid, "close")
    assert d["state"] == "corporation_council" and d["council"] == "TCTA-HD"
    i = Initiative.objects.get(pk=iid)
    assert i.recognised_at is not None and i.submitted_at is not None
    flow.council_decides(iid, ["c_chair", "c_m1", "c_m2"], "approve", "c_m1" if False else "c_chair")
    assert flow.state(iid) == "sector_review"
    assert Initiative.objects.get(pk=iid).council.code == "NGANH-HD"
    history = flow.history("auditor_n", iid)
    assert [h["action"] for h in history] == [
        "create",
        "submit",
        "forward",
        "vote",
        "vote",
        "vote",
        "close",
        "vote",
        "vote",
        "vote",
        "close",
    ]
    close = history[6]
    assert close["from_state"] == "unit_council" and close["to_state"] == "corporation_council"
    minutes = close["details"]
    assert minutes["tally"] == {"approve": 3} and minutes["outcome"] == "approve"
    assert [v["voter"] for v in minutes["votes"]] == ["u1_chair", "u1_sec", "u1_m1"]
    assert minutes["members_present"] == ["u1_chair", "u1_sec", "u1_m1"] and minutes["recused"] == []
    assert all(h["hash"] and "prev_hash" in h for h in history)
    # authors hear of each decision
    assert any(m.to == ["author1@example.org"] and "Kết quả xét" in m.subject for m in mailoutbox)


def test_advisory_return_then_resubmit_makes_a_new_frozen_version(flow, api, users):
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    r = api(users["u1_adv"]).post(f"/api/v1/initiatives/{iid}/actions/return/", {}, format="json")
    assert r.status_code == 400 and "comment" in r.json()
    d = flow.act("u1_adv", iid, "return", comment="Bổ sung số liệu hiệu quả")
    assert d["state"] == "draft"
    r = api(users["author1"]).patch(f"/api/v1/initiatives/{iid}/", {"benefit_value_vnd": 120_000_000}, format="json")
    assert r.status_code == 200
    flow.act("author1", iid, "submit")
    versions = list(DossierVersion.objects.filter(initiative_id=iid).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].content["benefit_value_vnd"] == 90_000_000
    assert versions[1].content["benefit_value_vnd"] == 120_000_000
    ret = [h for h in flow.history("author1", iid) if h["action"] == "return"][0]
    assert ret["comment"] == "Bổ sung số liệu hiệu quả" and ret["to_state"] == "draft"


def test_a_council_judges_the_submitted_version_not_later_edits(flow, api, users):
    iid = flow.to_unit_council()
    r = api(users["author1"]).patch(
        f"/api/v1/initiatives/{iid}/", {"title": "Sửa khi hội đồng đang xét"}, format="json"
    )
    assert r.status_code == 409
    assert CouncilSession.objects.get(initiative_id=iid).dossier_version == 1


def test_unit_council_returns_with_reasons(flow):
    iid = flow.to_unit_council()
    flow.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "return", "u1_sec", comment="Chưa rõ hiệu quả")
    assert flow.state(iid) == "draft"
    close = [h for h in flow.history("author1", iid) if h["action"] == "close"][0]
    assert "Chưa rõ hiệu quả" in close["comment"] and close["details"]["outcome"] == "return"
    assert Initiative.objects.get(pk=iid).council is None


def test_corporation_council_rejects_and_the_path_ends(flow):
    iid = flow.to_unit_council()
    flow.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "approve", "u1_chair")
    flow.council_decides(iid, ["c_chair", "c_m1", "c_m2"], "reject", "c_chair", comment="Trùng giải pháp đã có")
    assert flow.state(iid) == "rejected"
    d = flow.get("author1", iid)
    assert d["available_actions"] == []
    flow.act("author1", iid, "withdraw", expect=409)
    # still recognised at unit level
    assert Initiative.objects.get(pk=iid).recognised_at is not None


def test_withdraw_from_draft_and_advisory_review_but_not_later(flow):
    a = flow.draft()
    assert flow.act("author1", a, "withdraw")["state"] == "withdrawn"
    b = flow.draft()
    flow.act("author1", b, "submit")
    assert flow.act("author1", b, "withdraw")["state"] == "withdrawn"
    c = flow.to_unit_council()
    r = flow.act("author1", c, "withdraw", expect=409)
    assert r["code"] == "invalid_state"


def test_no_decision_reaching_the_threshold_returns_the_dossier(flow):
    iid = flow.to_unit_council()
    flow.vote("u1_chair", iid, "approve")
    flow.vote("u1_sec", iid, "reject", comment="không mới")
    flow.vote("u1_m1", iid, "return", comment="bổ sung")
    d = flow.act("u1_chair", iid, "close")
    assert d["state"] == "draft"
    minutes = [h for h in flow.history("author1", iid) if h["action"] == "close"][0]["details"]
    assert minutes["carried"] == [] and minutes["outcome"] == "return"


def test_two_of_three_carry_under_the_default_threshold(flow):
    iid = flow.to_unit_council()
    flow.vote("u1_chair", iid, "approve")
    flow.vote("u1_sec", iid, "approve")
    flow.vote("u1_m1", iid, "reject", comment="không đồng ý")
    assert flow.act("u1_chair", iid, "close")["state"] == "corporation_council"


def test_close_below_quorum_is_refused_and_changes_nothing(flow):
    iid = flow.to_unit_council()
    flow.vote("u1_chair", iid, "approve")
    flow.vote("u1_sec", iid, "approve")
    r = flow.act("u1_chair", iid, "close", expect=409)
    assert r["code"] == "quorum_not_reached"
    assert flow.state(iid) == "unit_council"
    assert CouncilSession.objects.get(initiative_id=iid).closed_at is None


def test_a_unit_directly_under_its_sector_skips_the_corporation_stage(structure_data, api, users):
    from tests.conftest import draft_payload
    from workflow.structure import structure_load

    sector = structure_data["organisations"][0]["children"][0]
    sector["children"].append(
        {
            "code": "XN9",
            "name": "Công đoàn Nhà máy 9",
            "level": "unit",
            "councils": [
                {"code": "XN9-TV", "kind": "advisory", "members": [{"username": "adv9"}]},
                {"code": "XN9-HD", "kind": "unit", "quorum": 1, "members": [{"username": "chair9", "role": "chair"}]},
            ],
        }
    )
    structure_data["people"] += [
        {"username": "adv9", "organisation": "XN9"},
        {"username": "chair9", "organisation": "XN9"},
        {"username": "author9", "organisation": "XN9", "roles": ["author"]},
    ]
    structure_load(data=structure_data)
    from councils.models import User

    u = {x.username: x for x in User.objects.filter(username__in=["adv9", "chair9", "author9"])}
    r = api(u["author9"]).post(
        "/api/v1/initiatives/",
        draft_payload(organisation="XN9", authors=[{"username": "author9", "share_percent": 100}]),
        format="json",
    )
    iid = r.json()["id"]
    assert api(u["author9"]).post(f"/api/v1/initiatives/{iid}/actions/submit/", {}, format="json").status_code == 200
    assert api(u["adv9"]).post(f"/api/v1/initiatives/{iid}/actions/forward/", {}, format="json").status_code == 200
    assert (
        api(u["chair9"]).post(f"/api/v1/initiatives/{iid}/votes/", {"decision": "approve"}, format="json").status_code
        == 201
    )
    r = api(u["chair9"]).post(f"/api/v1/initiatives/{iid}/actions/close/", {}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "sector_review" and r.json()["council"] == "NGANH-HD"


def test_sector_decisions_are_checked_per_stage(flow):
    iid = flow.to_sector()
    r = flow.vote("s_chair", iid, "approve", expect=400)
    assert "decision" in r and "certify" in r["decision"][0]
    flow.vote("s_chair", iid, "nominate")
    flow.vote("s_sec", iid, "nominate")
    assert flow.act("s_chair", iid, "close")["state"] == "federation_review"
    assert Initiative.objects.get(pk=iid).council.code == "TLD-HD"
    r = flow.vote("f_chair", iid, "nominate", expect=400)
    flow.council_decides(iid, ["f_chair", "f_m1"], "reject", "f_chair", comment="Chưa đạt tiêu chí")
    assert flow.state(iid) == "rejected"


def test_bad_vote_bodies_are_400(flow):
    iid = flow.to_unit_council()
    flow.vote("u1_chair", iid, "maybe", expect=400)
    flow.vote("u1_chair", iid, "approve", score=101, expect=400)
    flow.vote("u1_chair", iid, "approve", score=-1, expect=400)
    r = flow.vote("u1_chair", iid, "reject", expect=400)
    assert "comment" in r
    flow.act("u1_chair", iid, "fly", expect=404)


def test_an_incomplete_dossier_cannot_be_submitted(flow, api, users, make_draft):
    """Issue 9, finding 10: a dossier with an empty solution and zero benefit could be submitted.
    A draft may be incomplete; the submission names every missing part at once (400), and nothing
    changes. Union activity and Covid-19 prevention may declare no money benefit."""
    d = make_draft(solution="", problem="  ", benefit_value_vnd=0, applied_since=None)
    r = api(users["author1"]).post(f"/api/v1/initiatives/{d['id']}/actions/submit/", {}, format="json")
    assert r.status_code == 400, r.content
    assert set(r.json()) == {"problem", "solution", "applied_since", "benefit_value_vnd"}, r.json()
    assert r.json()["solution"] == ["Cần điền nội dung giải pháp trước khi nộp"]
    i = Initiative.objects.get(pk=d["id"])
    assert (i.state, i.dossier_version, i.submitted_at) == ("draft", 0, None)
    r = api(users["author1"]).post(
        f"/api/v1/initiatives/{d['id']}/actions/submit/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    message = r.json()["solution"][0]
    assert message.startswith("Fill in") and message.endswith("before submitting") and "giải pháp" not in message
    union = make_draft(title="Ngày hội sáng kiến cho đoàn viên trẻ", category="union", benefit_value_vnd=0)
    flow.act("author1", union["id"], "submit")
    assert flow.state(union["id"]) == "advisory_review"
