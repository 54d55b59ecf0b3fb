"""Finding 5 (issue 8, consent part): "Recusal can be gamed: an author listed two of three council
members as co-authors (any active username, no consent, 0.01 % each)". A person named as
co-author is told, may decline (or confirm), and while they have declined the dossier does not go
on; removing them from the authors in a draft edit lifts it."""

import pytest

from audit.models import AuditEntry
from initiatives.models import Consent, InitiativeAuthor
from tests.conftest import draft_payload

pytestmark = pytest.mark.django_db

GAMED = [
    {"username": "author1", "share_percent": 99.98},
    {"username": "u1_chair", "share_percent": 0.01},
    {"username": "u1_sec", "share_percent": 0.01},
]


def _post(api, user, iid, decision, comment="", expect=200, lang="vi"):
    r = api(user).post(
        f"/api/v1/initiatives/{iid}/authorship/",
        {"decision": decision, "comment": comment},
        format="json",
        HTTP_ACCEPT_LANGUAGE=lang,
    )
    assert r.status_code == expect, r.content
    return r.json()


def _consents(iid):
    return dict(InitiativeAuthor.objects.filter(initiative_id=iid).values_list("full_name", "consent"))


def test_the_finding_named_council_members_are_told_and_can_decline(
    api, users, django_capture_on_commit_callbacks, mailoutbox
):
    for u in ("author1", "u1_chair", "u1_sec"):
        users[u].email = f"{u}@example.org"
        users[u].save()
    with django_capture_on_commit_callbacks(execute=True):
        r = api(users["author1"]).post(
            "/api/v1/initiatives/", draft_payload(authors=GAMED), format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
    assert r.status_code == 201, r.content
    iid = r.json()["id"]
    # the creator naming themselves needs no confirmation; the others are asked, by e-mail
    assert [a["consent"] for a in r.json()["authors"]] == ["confirmed", "pending", "pending"]
    assert sorted(m.to[0] for m in mailoutbox) == ["u1_chair@example.org", "u1_sec@example.org"]
    mail = mailoutbox[0]
    assert "đồng tác giả" in mail.subject and "0.01%" in mail.body and f"/initiatives/{iid}/" in mail.body
    # ... it is waiting for them in their inbox, with the two answers available
    tasks = api(users["u1_chair"]).get("/api/v1/tasks/").json()["results"]
    assert [t["id"] for t in tasks] == [iid]
    assert {"confirm_authorship", "decline_authorship"} <= set(tasks[0]["available_actions"])
    # one declines: audited, the creator is told, and the dossier cannot be submitted
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        d = _post(api, users["u1_chair"], iid, "decline", "Tôi không tham gia sáng kiến này")
    assert [a["consent"] for a in d["authors"]] == ["confirmed", "declined", "pending"]
    # one message each: neither learns the other's address
    assert sorted(m.to for m in mailoutbox) == [["author1@example.org"], ["u1_sec@example.org"]]
    entry = AuditEntry.objects.get(action="authorship_decline", object_id=str(iid))
    assert entry.actor_name == "u1_chair" and entry.comment == "Tôi không tham gia sáng kiến này"
    assert entry.details["author"] == "u1_chair" and entry.details["share_percent"] == "0.01"
    assert "submit" not in api(users["author1"]).get(f"/api/v1/initiatives/{iid}/").json()["available_actions"]
    r = api(users["author1"]).post(
        f"/api/v1/initiatives/{iid}/actions/submit/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 409, r.content
    assert r.json()["code"] == "coauthor_declined" and r.json()["declined"] == ["u1_chair"]
    assert "Chủ Tịch XN1" in r.json()["detail"] and "remove" in r.json()["detail"]
    # removing the decliner in a draft edit lifts it
    r = api(users["author1"]).patch(
        f"/api/v1/initiatives/{iid}/",
        {"authors": [{"username": "author1", "share_percent": 99.99}, {"username": "u1_sec", "share_percent": 0.01}]},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert [a["consent"] for a in r.json()["authors"]] == ["confirmed", "pending"]  # u1_sec's answer is kept
    r = api(users["author1"]).post(f"/api/v1/initiatives/{iid}/actions/submit/", {}, format="json")
    assert r.status_code == 200, r.content


def test_a_confirmation_is_kept_a_changed_share_asks_again_a_refusal_stands(
    api, users, django_capture_on_commit_callbacks, mailoutbox
):
    users["author1b"].email = "b@example.org"
    users["author1b"].save()
    authors = [{"username": "author1", "share_percent": 60}, {"username": "author1b", "share_percent": 40}]
    iid = api(users["author1"]).post("/api/v1/initiatives/", draft_payload(authors=authors), format="json").json()["id"]
    d = _post(api, users["author1b"], iid, "confirm")
    assert [a["consent"] for a in d["authors"]] == ["confirmed", "confirmed"]
    assert AuditEntry.objects.filter(action="authorship_confirm", object_id=str(iid)).count() == 1
    _post(api, users["author1b"], iid, "confirm")  # the same answer again changes nothing
    assert AuditEntry.objects.filter(action="authorship_confirm", object_id=str(iid)).count() == 1
    # an edit that keeps the share keeps the answer; a new share asks again, by e-mail
    patch = {"title": "Tên mới của sáng kiến thử nghiệm"}
    assert [a["consent"] for a in api(users["author1"]).patch(f"/api/v1/initiatives/{iid}/", patch, format="json").json()["authors"]] == ["confirmed", "confirmed"]  # fmt: skip
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = api(users["author1"]).patch(
            f"/api/v1/initiatives/{iid}/",
            {"authors": [{"username": "author1", "share_percent": 90}, {"username": "author1b", "share_percent": 10}]},
            format="json",
        )
    assert [a["consent"] for a in r.json()["authors"]] == ["confirmed", "pending"]
    assert [m.to for m in mailoutbox] == [["b@example.org"]] and "10%" in mailoutbox[0].body
    # a refusal is not lifted by changing the decliner's share
    _post(api, users["author1b"], iid, "decline")
    r = api(users["author1"]).patch(
        f"/api/v1/initiatives/{iid}/",
        {"authors": [{"username": "author1", "share_percent": 50}, {"username": "author1b", "share_percent": 50}]},
        format="json",
    )
    assert [a["consent"] for a in r.json()["authors"]] == ["confirmed", "declined"]
    # ... and a decliner has no author's powers left: no edit, no submit, no withdraw
    for name in ("submit", "withdraw"):
        r = api(users["author1b"]).post(f"/api/v1/initiatives/{iid}/actions/{name}/", {}, format="json")
        assert r.status_code in (403, 409), (name, r.status_code)
    r = api(users["author1b"]).patch(f"/api/v1/initiatives/{iid}/", patch, format="json")
    assert r.status_code == 403
    # they may change their mind
    d = _post(api, users["author1b"], iid, "confirm")
    assert [a["consent"] for a in d["authors"]] == ["confirmed", "confirmed"]


def test_only_the_named_person_answers_for_themselves_and_only_while_the_dossier_is_open(api, users, flow):
    iid = flow.draft(
        authors=[{"username": "author1", "share_percent": 50}, {"username": "author1b", "share_percent": 50}]
    )
    # the creator cannot answer for their co-author; an officer who sees the dossier cannot either
    body = _post(api, users["officer_x1"], iid, "decline", expect=403)
    assert "detail" in body
    r = api(users["outsider"]).post(f"/api/v1/initiatives/{iid}/authorship/", {"decision": "decline"}, format="json")
    assert r.status_code == 404  # may not even see it
    errors = _post(api, users["author1b"], iid, "maybe", expect=400, lang="en")
    assert errors == {"decision": ["decision must be 'confirm' or 'decline'"]}
    errors = _post(api, users["author1b"], iid, "decline", comment="x" * 2001, expect=400, lang="en")
    assert errors == {"comment": ["comment must be at most 2000 characters"]}
    flow.act("author1", iid, "withdraw")
    body = _post(api, users["author1b"], iid, "decline", expect=409)
    assert body["code"] == "invalid_state"


def test_a_decline_in_advisory_review_holds_the_forward(api, users, flow):
    iid = flow.draft(
        authors=[{"username": "author1", "share_percent": 50}, {"username": "author1b", "share_percent": 50}]
    )
    flow.act("author1", iid, "submit")  # pending does not block
    _post(api, users["author1b"], iid, "decline")
    assert "forward" not in flow.get("u1_adv", iid)["available_actions"]
    body = flow.act("u1_adv", iid, "forward", expect=409)
    assert body["code"] == "coauthor_declined"
    flow.act("u1_adv", iid, "return", comment="Bỏ người đã từ chối khỏi danh sách tác giả")
    r = api(users["author1"]).patch(
        f"/api/v1/initiatives/{iid}/", {"authors": [{"username": "author1", "share_percent": 100}]}, format="json"
    )
    assert r.status_code == 200
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "forward")


def test_the_page_shows_the_question_and_takes_the_answer(client, users, make_draft):
    iid = make_draft(
        authors=[{"username": "author1", "share_percent": 50}, {"username": "author1b", "share_percent": 50}]
    )["id"]
    client.force_login(users["author1b"])
    html = client.get(f"/initiatives/{iid}/").content.decode()
    assert "Bạn được ghi tên là đồng tác giả" in html and 'value="decline"' in html
    assert "Chờ xác nhận" in html
    r = client.post(f"/initiatives/{iid}/authorship/", {"decision": "decline", "comment": "không phải tôi"})
    assert r.status_code == 302
    assert InitiativeAuthor.objects.get(initiative_id=iid, user=users["author1b"]).consent == Consent.DECLINED
    html = client.get(f"/initiatives/{iid}/").content.decode()
    assert "Đã từ chối" in html and 'value="confirm"' in html
    client.force_login(users["author1"])
    html = client.get(f"/initiatives/{iid}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Declined" in html
    tasks = client.get("/tasks/").content.decode()
    assert "Hoàn thiện và nộp hồ sơ" in tasks or "Sửa hồ sơ" in tasks or "Rút" in tasks


def test_imported_and_accountless_authors_need_no_confirmation_and_the_schema_documents_the_endpoint(
    api, users, make_draft
):
    d = make_draft(
        authors=[{"username": "author1", "share_percent": 50}, {"full_name": "Nguyễn Văn Ngoài", "share_percent": 50}]
    )
    assert [a["consent"] for a in d["authors"]] == ["confirmed", "not_required"]
    schema = api(users["author1"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    op = schema["paths"]["/api/v1/initiatives/{id}/authorship/"]["post"]
    assert "decline" in str(op) and "coauthor_declined" in op["description"]
