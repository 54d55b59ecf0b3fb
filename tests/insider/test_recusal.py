"""Gaming recusal: an author picks co-authors among the council so that few members remain, or
a recused chair closes the dossier anyway.

XN1's council (quorum 3): u1_chair (chair), u1_sec (secretary), u1_m1. Its substitutes, in the
structure file's order: sub1, sub2, sub3 (unless a test lists fewer)."""

import pytest
from django.core.exceptions import PermissionDenied

from councils.models import User
from workflow.actions import vote_cast
from workflow.models import CouncilSession
from workflow.structure import structure_load

pytestmark = pytest.mark.django_db


# the gamed dossier: two of the three members named co-authors with 0.01 % each
GAMED = [
    {"username": "author1", "share_percent": "99.98"},
    {"username": "u1_chair", "share_percent": "0.01"},
    {"username": "u1_m1", "share_percent": "0.01"},
]


def _with_substitutes(structure_data, users, substitutes):
    xn1 = structure_data["organisations"][0]["children"][0]["children"][0]["children"][0]
    assert xn1["code"] == "XN1"
    xn1["councils"][1]["substitutes"] = substitutes
    structure_data["people"] += [
        {"username": u, "full_name": f"Dự Khuyết {u}", "organisation": "XN1", "roles": ["author"]}
        for u in ("sub1", "sub2", "sub3")
    ]
    structure_load(data=structure_data)
    for u in User.objects.all():  # as the flow fixture does: everyone has an address
        u.email = f"{u.username}@example.org"
        u.save(update_fields=["email"])
    users.update({u.username: u for u in User.objects.all()})  # the same dict the flow fixture reads
    return users


@pytest.fixture
def subs(structure_data, users):
    """XN1's council with three substitutes."""
    return _with_substitutes(structure_data, users, ["sub1", "sub2", "sub3"])


def _answer(api, user, iid, decision):
    r = api(user).post(f"/api/v1/initiatives/{iid}/authorship/", {"decision": decision}, format="json")
    assert r.status_code == 200, r.content


def _to_council(flow, api, users, authors):
    """author1's draft naming ``authors``; the co-authors who sit on a council confirm (the forward
    waits for them: 409 ``coauthor_pending``), then it is submitted and forwarded."""
    iid = flow.draft(authors=authors)
    for a in authors[1:]:
        _answer(api, users[a["username"]], iid, "confirm")
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "forward")
    return iid


def _minutes(iid):
    return CouncilSession.objects.get(initiative_id=iid, council__code="XN1-HD").minutes


def _inbox(api, user):
    return [t["id"] for t in api(user).get("/api/v1/tasks/").json()["results"]]


def test_co_authors_chosen_among_the_council_do_not_lower_the_quorum(flow, api, users, insider):
    iid = _to_council(flow, api, users, GAMED)
    insider.tried("name two of the three members co-authors (0.01 % each): one eligible member left, quorum 3")
    flow.vote("u1_sec", iid, "approve")
    insider.tried("the recused chair closes on one vote")
    r = flow.act("u1_chair", iid, "close", expect=403)
    assert "tác giả" in r["detail"]
    insider.tried("the secretary closes on one vote")
    r = flow.act("u1_sec", iid, "close", expect=409)
    assert r["code"] == "quorum_not_reached" and r["quorum"] == 3 and r["votes_cast"] == 1
    assert "dự khuyết" in r["detail"] and "2" in r["detail"]  # says why (recusals) and what to do (substitutes)
    assert flow.state(iid) == "unit_council"
    insider.held("recusal never lowers the quorum: without substitutes the dossier cannot be carried by one vote")


def test_a_recused_chair_can_neither_close_nor_restart(flow, subs, api, insider):
    iid = _to_council(flow, api, subs, GAMED)
    for u in ("u1_sec", "sub1", "sub2"):
        flow.vote(u, iid, "approve")
    insider.tried("the recused chair looks for close and restart")
    assert not {"close", "restart", "vote"} & set(flow.get("u1_chair", iid)["available_actions"])
    assert iid not in _inbox(api, subs["u1_chair"])
    insider.tried("the recused chair restarts the vote (to void the others' ballots)")
    r = flow.act("u1_chair", iid, "restart", comment="làm lại", expect=403)
    assert "tác giả" in r["detail"]
    insider.tried("the recused chair closes")
    r = flow.act("u1_chair", iid, "close", expect=403)
    assert "thư ký" in r["detail"]
    english = api(subs["u1_chair"]).post(
        f"/api/v1/initiatives/{iid}/actions/close/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 403 and "secretary" in english.json()["detail"]
    assert {"close", "restart"} <= set(flow.get("u1_sec", iid)["available_actions"])
    assert flow.act("u1_sec", iid, "close")["state"] == "corporation_council"
    insider.held("a recused chair cannot close or restart; the secretary closes")


def test_substitutes_sit_in_only_as_needed_and_only_on_that_dossier(flow, subs, api, mailoutbox, insider):
    iid = _to_council(flow, api, subs, GAMED)
    invited = {m.to[0] for m in mailoutbox if "Hồ sơ mới cần xét" in m.subject}
    assert invited == {"u1_sec@example.org", "sub1@example.org", "sub2@example.org"}
    plain = flow.to_unit_council()  # no member is an author: no substitute needed
    insider.tried("every substitute votes on the gamed dossier")
    assert iid in _inbox(api, subs["sub1"]) and iid in _inbox(api, subs["sub2"])
    assert iid not in _inbox(api, subs["sub3"])
    assert "vote" in flow.get("sub1", iid)["available_actions"]
    flow.vote("sub1", iid, "approve")
    flow.vote("sub2", iid, "reject", comment="không mới")
    flow.vote("sub3", iid, "approve", expect=404)  # not sitting in: they do not even see it
    with pytest.raises(PermissionDenied, match="dự khuyết"):  # and the action refuses them anyway
        vote_cast(initiative_id=iid, actor=subs["sub3"], decision="approve")
    insider.held("two members are recused: the first two substitutes sit in, the third does not")
    insider.tried("a substitute votes on another dossier of the council")
    assert plain not in _inbox(api, subs["sub1"])
    flow.vote("sub1", plain, "approve", expect=404)  # they do not even see it
    insider.held("a substitute votes only on the dossier they sit in on")
    flow.vote("u1_sec", iid, "approve")
    assert flow.act("u1_sec", iid, "close")["state"] == "corporation_council"  # 2 of 3 eligible: 2/3 carried
    minutes = _minutes(iid)
    assert minutes["recused"] == ["u1_chair", "u1_m1"] and minutes["substitutes"] == ["sub1", "sub2"]
    assert minutes["eligible"] == 3 and minutes["quorum"] == 3 and minutes["votes_cast"] == 3
    insider.held("the threshold's denominator is the sitting members; the minutes name recusals and substitutes")


def test_a_substitute_who_is_an_author_never_sits(flow, subs, api, insider):
    insider.tried("name the first substitute a co-author too, to seat a friendlier one")
    iid = _to_council(
        flow,
        api,
        subs,
        [
            {"username": "author1", "share_percent": "99.97"},
            {"username": "u1_chair", "share_percent": "0.01"},
            {"username": "u1_m1", "share_percent": "0.01"},
            {"username": "sub1", "share_percent": "0.01"},
        ],
    )
    r = flow.vote("sub1", iid, "approve", expect=403)
    assert "tác giả" in r["detail"]
    for u in ("u1_sec", "sub2", "sub3"):
        flow.vote(u, iid, "approve")
    assert flow.act("u1_sec", iid, "close")["state"] == "corporation_council"
    assert _minutes(iid)["substitutes"] == ["sub2", "sub3"]
    assert _minutes(iid)["recused"] == ["u1_chair", "u1_m1"]
    insider.held("an author never sits in as a substitute: the next ones in the file's order do")


def test_too_few_substitutes_leave_the_dossier_waiting_with_a_reason(flow, structure_data, api, users, insider):
    _with_substitutes(structure_data, users, ["sub1"])
    iid = _to_council(flow, api, users, GAMED)
    flow.vote("u1_sec", iid, "approve")
    flow.vote("sub1", iid, "approve")
    insider.tried("close with every sitting member's vote, one seat short of the quorum")
    r = flow.act("u1_sec", iid, "close", expect=409)
    assert r["code"] == "quorum_not_reached" and r["votes_cast"] == 2 and r["quorum"] == 3
    assert "dự khuyết" in r["detail"]
    insider.held("too few substitutes: 409 quorum_not_reached saying why and what to do")


def test_a_chair_cannot_shed_recusal_by_declining_authorship(flow, subs, api, insider):
    """Review finding: close and restart asked "an author who did not decline" while the vote and
    the seating asked "listed": a co-author chair declined, restarted (voiding the members' votes),
    then confirmed again."""
    from initiatives.models import Initiative
    from workflow.selectors import session_progress

    iid = _to_council(
        flow,
        api,
        subs,
        [
            {"username": "author1", "share_percent": "90"},
            {"username": "u1_chair", "share_percent": "5"},
            {"username": "u1_m1", "share_percent": "5"},
        ],
    )
    assert flow.act("u1_chair", iid, "restart", comment="x", expect=403)
    flow.vote("u1_sec", iid, "reject", comment="không mới")
    flow.vote("sub1", iid, "reject", comment="không mới")

    insider.tried("the co-author chair declines authorship, then restarts the round to void the two rejections")
    _answer(api, subs["u1_chair"], iid, "decline")
    r = flow.act("u1_chair", iid, "restart", comment="làm lại", expect=403)
    assert "từ chối ghi tên" in r["detail"]
    insider.tried("… or closes it, or votes on it, as a declined co-author")
    assert "từ chối ghi tên" in flow.act("u1_chair", iid, "close", expect=403)["detail"]
    assert "từ chối ghi tên" in flow.vote("u1_chair", iid, "approve", expect=403)["detail"]
    english = api(subs["u1_chair"]).post(
        f"/api/v1/initiatives/{iid}/votes/", {"decision": "approve"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 403 and english.json()["detail"].startswith("You declined the authorship")
    insider.tried("a member who declined looks for the vote")
    _answer(api, subs["u1_m1"], iid, "decline")
    assert flow.vote("u1_m1", iid, "approve", expect=403)
    for who in ("u1_chair", "u1_m1"):
        assert not {"vote", "close", "restart"} & set(flow.get(who, iid)["available_actions"]), who
        assert iid not in _inbox(api, subs[who])
    progress = session_progress(initiative=Initiative.objects.get(pk=iid))
    assert progress["recused"] == sorted([subs["u1_chair"].display_name, subs["u1_m1"].display_name])
    assert progress["substitutes"] == [subs["sub1"].display_name, subs["sub2"].display_name]
    insider.held("a declined co-author stays recused: no vote, close or restart offered or allowed, no inbox task")

    insider.tried("confirm again, as if nothing happened")
    _answer(api, subs["u1_chair"], iid, "confirm")
    assert CouncilSession.objects.filter(initiative_id=iid).count() == 1  # no round was voided
    flow.vote("sub2", iid, "reject", comment="không mới")
    assert flow.act("u1_sec", iid, "close")["state"] == "rejected"
    assert _minutes(iid)["recused"] == ["u1_chair", "u1_m1"]
    insider.held("the council's votes stood: the secretary closed them, the minutes name both co-authors recused")


def test_council_members_named_co_authors_without_asking_hold_the_forward(flow, subs, api, structure_data, insider):
    """Review finding: a pending co-author blocked neither submit nor forward, so naming council
    members without asking them pushed them out of the vote and seated substitutes."""
    authors = [
        {"username": "author1", "share_percent": "99.96"},
        {"username": "u1_chair", "share_percent": "0.01"},  # named, never asked
        {"username": "u1_m1", "share_percent": "0.01"},
        {"username": "s_m1", "share_percent": "0.01"},  # the sector council, further up the route
        {"username": "author1b", "share_percent": "0.01"},  # on no council: does not hold the dossier
    ]
    iid = flow.draft(authors=authors)
    flow.act("author1", iid, "submit")  # pending consent does not hold the submit
    insider.tried("forward a dossier naming three members of the route's councils who were never asked")
    r = flow.act("u1_adv", iid, "forward", expect=409)
    assert r["code"] == "coauthor_pending" and r["pending"] == ["u1_chair", "u1_m1", "s_m1"]
    assert "Chủ Tịch XN1 (u1_chair)" in r["detail"] and "author1b" not in r["detail"]
    english = api(subs["u1_adv"]).post(
        f"/api/v1/initiatives/{iid}/actions/forward/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 409 and english.json()["detail"].startswith("Co-author Chủ Tịch XN1 (u1_chair)")
    assert "forward" not in flow.get("u1_adv", iid)["available_actions"]
    assert flow.state(iid) == "advisory_review" and not CouncilSession.objects.filter(initiative_id=iid).exists()
    insider.held("409 coauthor_pending naming who must answer; the dossier stays with the advisory team")

    insider.tried("two of them answer, the third does not")
    _answer(api, subs["u1_chair"], iid, "confirm")
    _answer(api, subs["s_m1"], iid, "confirm")
    assert flow.act("u1_adv", iid, "forward", expect=409)["pending"] == ["u1_m1"]
    _answer(api, subs["u1_m1"], iid, "decline")  # "I am not an author of this"
    assert flow.act("u1_adv", iid, "forward", expect=409)["code"] == "coauthor_declined"
    insider.held("every route-council co-author must answer; a refusal holds the dossier until the name is removed")

    insider.tried("the advisory team sends it back; the author drops the member who declined and forwards again")
    flow.act("u1_adv", iid, "return", comment="bỏ tên người đã từ chối")
    kept = [a for a in authors if a["username"] != "u1_m1"]
    kept[0] = {"username": "author1", "share_percent": "99.97"}
    r = api(subs["author1"]).patch(f"/api/v1/initiatives/{iid}/", {"authors": kept}, format="json")
    assert r.status_code == 200, r.content
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "forward")  # author1b has not answered either: sits on no council, so no hold
    flow.vote("u1_m1", iid, "approve")  # no longer an author: votes as a member
    assert flow.vote("u1_chair", iid, "approve", expect=403)  # confirmed: an author, recused
    flow.vote("u1_sec", iid, "approve")
    flow.vote("sub1", iid, "approve")  # one substitute, for the one recused member
    insider.held("a member who declined and was removed votes; one who confirmed is recused, a substitute sits")

    insider.tried("make the silent co-author a member of the next council, then let the unit council send it there")
    tcta = structure_data["organisations"][0]["children"][0]["children"][0]
    assert tcta["councils"][1]["code"] == "TCTA-HD"
    tcta["councils"][1]["members"].append({"username": "author1b"})
    structure_load(data=structure_data)
    r = flow.act("u1_sec", iid, "close", expect=409)
    assert r["code"] == "coauthor_pending" and r["pending"] == ["author1b"]
    assert flow.state(iid) == "unit_council"
    _answer(api, subs["author1b"], iid, "confirm")
    assert flow.act("u1_sec", iid, "close")["state"] == "corporation_council"
    assert flow.vote("author1b", iid, "approve", expect=403)
    insider.held("a close that sends the dossier on waits for the next council's co-authors too; then they are recused")


def test_a_council_member_cannot_be_named_by_full_name_to_escape_recusal(flow, subs, api, tmp_path, insider):
    """Review finding: a member named by full name (not username) was no author to the recusal
    rule, so the chair voted on and closed a dossier they held 50 % of."""
    import datetime

    from openpyxl import Workbook

    from initiatives.imports import ImportRefused, initiatives_import
    from tests.conftest import draft_payload

    author = api(subs["author1"])

    def create(full_name, lang="vi"):
        body = draft_payload(
            authors=[{"username": "author1", "share_percent": "50"}, {"full_name": full_name, "share_percent": "50"}]
        )
        return author.post("/api/v1/initiatives/", body, format="json", HTTP_ACCEPT_LANGUAGE=lang)

    insider.tried("name the unit council's chair as a 50 % co-author by full name, as written and disguised")
    for name in ("Chủ Tịch XN1", "chu tich   xn1", "CHỦ TỊCH XN1 ", "Ủy Viên Ngành", "Dự Khuyết sub1"):
        r = create(name)
        assert r.status_code == 400, (name, r.content)
        (message,) = r.json()["authors"]
        assert message.startswith("Tác giả 2:") and "username" in message, message
    english = create("Chủ Tịch XN1", lang="en").json()["authors"][0]
    assert english.startswith("Author 2: 'Chủ Tịch XN1' bears the name of a member") and "by username" in english
    insider.held("a member or substitute of a route council (unit, sector…) given by full name is refused: 400")

    insider.tried("slip the name in by a draft edit instead")
    iid = flow.draft()
    r = author.patch(
        f"/api/v1/initiatives/{iid}/",
        {"authors": [{"username": "author1", "share_percent": 60}, {"full_name": "Chủ Tịch XN1", "share_percent": 40}]},
        format="json",
    )
    assert r.status_code == 400 and "username" in r.json()["authors"][0]
    insider.tried("… or through the union's register import")
    wb = Workbook()
    wb.active.append(["Tên sáng kiến", "Mã đơn vị", "Lĩnh vực", "Tác giả", "Ngày đăng ký", "Ngày công nhận"])
    wb.active.append(
        [
            "Cải tiến quy trình kiểm tra máy biến áp",
            "XN1",
            "technical",
            "author1:50; Chủ Tịch XN1:50",
            datetime.date(2022, 2, 1),
            datetime.date(2022, 3, 1),
        ]
    )
    wb.save(tmp_path / "register.xlsx")
    with pytest.raises(ImportRefused, match="username"):
        initiatives_import(path=tmp_path / "register.xlsx")
    insider.held("the edit and the import answer the same: the rule lives in initiative_rules")

    insider.tried("name people by full name who sit on no council of the route (another unit's chair, an adviser)")
    for name in ("Chủ Tịch XN2", "Tư Vấn XN1", "Người Ngoài"):
        assert create(name).status_code == 201, name
    insider.tried("name the chair by username instead, and let them vote")
    iid = _to_council(
        flow,
        api,
        subs,
        [{"username": "author1", "share_percent": "50"}, {"username": "u1_chair", "share_percent": "50"}],
    )
    assert flow.vote("u1_chair", iid, "approve", expect=403)
    insider.held("only names of the route's council seats are refused; by username the chair confirms and is recused")
