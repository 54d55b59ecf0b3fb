"""Budgets (the structure file's ``programme.budgets`` and the quotas' ``amount_vnd``): every award
commits its amount in the award's own transaction; an overrun answers 409 ``budget_exhausted``
and nothing changes; revoking frees the money. Ad-hoc commendations (POST /awards/commendations/)
and GET /awards/budget/."""

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from awards.models import Award, Budget, Certificate, Quota
from councils.models import Organisation
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

ADHOC = "/api/v1/awards/commendations/"
BUDGET = "/api/v1/awards/budget/"


def year():
    return timezone.localdate().year


def give_budget(code="NGANH", amount=20_000_000, on=None):
    return Budget.objects.create(organisation=Organisation.objects.get(code=code), year=on or year(), amount_vnd=amount)


def commend(api, user, initiative, *, organisation="NGANH", reason="Xử lý sự cố kịp thời", amount=5_000_000):
    body = {"organisation": organisation, "initiative": initiative, "reason": reason, "amount_vnd": amount}
    return api(user).post(ADHOC, body, format="json")


def budget(api, user, organisation="NGANH", **params):
    return api(user).get(BUDGET, {"organisation": organisation, **params})


def test_an_adhoc_commendation_is_an_award_outside_the_monthly_quota(
    api, users, recognised, django_capture_on_commit_callbacks, mailoutbox
):
    from notifications.models import Notification

    give_budget()
    (a,) = recognised(1)
    with django_capture_on_commit_callbacks(execute=True):
        r = commend(api, users["s_chair"], a.pk)
    assert r.status_code == 201, r.content
    # the author and the unit's officers are told, each alone, with the reason
    told = Notification.objects.filter(subject__contains="đột xuất")
    assert users["author1"].pk in {n.recipient_id for n in told}
    assert all("Xử lý sự cố kịp thời" in n.body for n in told) and all(len(m.to) == 1 for m in mailoutbox)
    body = r.json()
    assert body["award"] == "adhoc_commendation" and body["serial"].startswith("KT-DX-")
    assert body["reason"] == "Xử lý sự cố kịp thời" and body["amount_vnd"] == 5_000_000
    c = Certificate.objects.get(serial=body["serial"])
    assert c.quota is None and c.recipients[0]["username"] == "author1" and c.budget.organisation.code == "NGANH"
    entry = AuditEntry.objects.get(action="award", details__serial=c.serial)
    assert entry.details["amount_vnd"] == 5_000_000 and entry.comment == "Xử lý sự cố kịp thời"
    # it does not use the month's five
    month = f"{timezone.localdate():%Y-%m}"
    r = api(users["s_chair"]).get(f"/api/v1/awards/monthly/{month}/", {"organisation": "NGANH"})
    assert r.json()["used"] == 0
    # visible on the dossier (the public awards field) and in the certificates list
    detail = api(users["author1"]).get(f"/api/v1/initiatives/{a.pk}/").json()
    assert [x["award"] for x in detail["awards"]] == ["adhoc_commendation"]
    assert api(users["author1"]).get("/api/v1/certificates/", {"award": "adhoc_commendation"}).json()["count"] == 1
    # the budget shows it
    r = budget(api, users["auditor_n"])
    assert r.status_code == 200, r.content
    b = r.json()
    assert (b["budget_vnd"], b["committed_vnd"], b["remaining_vnd"]) == (20_000_000, 5_000_000, 15_000_000)
    (item,) = b["items"]
    assert item["serial"] == c.serial and item["award"] == "adhoc_commendation"
    assert item["reference"] == a.reference and item["amount_vnd"] == 5_000_000 and item["issued_at"]
    # once per initiative while it stands
    r = commend(api, users["s_chair"], a.pk)
    assert r.status_code == 409 and r.json()["code"] == "already_awarded"


def test_adhoc_refusals(api, users, recognised, make_draft):
    give_budget()
    (a,) = recognised(1)
    assert commend(api, users["s_chair"], a.pk, reason="").status_code == 400
    assert "reason" in commend(api, users["s_chair"], a.pk, reason="   ").json()
    assert "amount_vnd" in commend(api, users["s_chair"], a.pk, amount=-1).json()
    assert "amount_vnd" in commend(api, users["s_chair"], a.pk, amount="nhiều").json()
    assert "organisation" in commend(api, users["s_chair"], a.pk, organisation="NOPE").json()
    draft = make_draft()
    r = commend(api, users["s_chair"], draft["id"])
    assert r.status_code == 400 and str(draft["id"]) in r.json()["initiative"][0]
    # only the award committee or officers of that organisation
    for who in ("author1", "officer_x1", "c_chair", "auditor_n"):
        r = commend(api, users[who], a.pk)
        assert r.status_code == 403, (who, r.content)
    # a corporation commends ad hoc inside its own subtree only, from its own budget
    (other,) = recognised(
        1, user="author3", organisation="XN3", authors=[{"username": "author3", "share_percent": 100}]
    )
    r = commend(api, users["officer_a"], other.pk, organisation="TCTA", amount=0)
    assert r.status_code == 400 and str(other.pk) in r.json()["initiative"][0]
    assert not Certificate.objects.exists()


def test_an_overrun_answers_409_budget_exhausted_and_nothing_changes(api, users, recognised):
    give_budget(amount=8_000_000)
    a, b = recognised(2)
    assert commend(api, users["s_chair"], a.pk, amount=5_000_000).status_code == 201
    before = budget(api, users["s_chair"]).json()
    certificates, entries = Certificate.objects.count(), AuditEntry.objects.count()
    r = commend(api, users["s_chair"], b.pk, amount=5_000_000)
    assert r.status_code == 409, r.content
    assert r.json()["code"] == "budget_exhausted" and "3.000.000" in r.json()["detail"]
    assert Certificate.objects.count() == certificates and AuditEntry.objects.count() == entries
    assert not Certificate.objects.filter(initiative=b).exists()
    assert budget(api, users["s_chair"]).json() == before
    # no budget at all for that organisation and year: any amount is an overrun, 0 VND is fine
    r = commend(api, users["officer_a"], b.pk, organisation="TCTA", amount=1)
    assert r.status_code == 409 and r.json()["code"] == "budget_exhausted"
    assert commend(api, users["officer_a"], b.pk, organisation="TCTA", amount=0).status_code == 201


def test_revoking_frees_the_amount(api, users, recognised):
    give_budget(amount=5_000_000)
    a, b = recognised(2)
    serial = commend(api, users["s_chair"], a.pk, amount=5_000_000).json()["serial"]
    assert commend(api, users["s_chair"], b.pk, amount=1).json()["code"] == "budget_exhausted"
    r = api(users["officer_a"]).post(f"/api/v1/certificates/{serial}/revoke/", {"reason": "Nhầm"}, format="json")
    assert r.status_code == 403  # an officer below the awarding organisation may not revoke
    # the test tree's sector has no officer: its admin (an officer's rights and more) revokes
    r = api(users["admin_n"]).post(f"/api/v1/certificates/{serial}/revoke/", {"reason": "Nhầm"}, format="json")
    assert r.status_code == 200, r.content
    assert AuditEntry.objects.get(action="award_revoke").details["amount_freed_vnd"] == 5_000_000
    b_ = budget(api, users["s_chair"]).json()
    assert (b_["committed_vnd"], b_["remaining_vnd"], b_["items"]) == (0, 5_000_000, [])
    assert commend(api, users["s_chair"], b.pk, amount=5_000_000).status_code == 201


def test_monthly_commendations_commit_the_quotas_amount(api, users, recognised):
    give_budget(amount=12_000_000)
    Quota.objects.filter(award=Award.MONTHLY_COMMENDATION).update(amount_vnd=5_000_000)
    a, b, c = recognised(3)
    url = "/api/v1/awards/monthly/2025-03/"
    r = api(users["s_chair"]).post(url, {"organisation": "NGANH", "initiatives": [a.pk, b.pk, c.pk]}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "budget_exhausted"
    assert not Certificate.objects.exists()
    r = api(users["s_chair"]).post(url, {"organisation": "NGANH", "initiatives": [a.pk, b.pk]}, format="json")
    assert r.status_code == 201, r.content
    assert budget(api, users["s_chair"]).json()["committed_vnd"] == 10_000_000


def test_a_council_close_that_would_overrun_the_budget_fails_whole_with_409(flow, api, users):
    from workflow.models import CouncilSession

    give_budget(amount=15_000_000)
    Quota.objects.filter(award=Award.SECTOR_CERTIFICATE).update(amount_vnd=10_000_000)
    first = flow.to_sector()
    flow.council_decides(first, ["s_chair", "s_m1"], "certify", "s_chair")
    cert = Certificate.objects.get(initiative_id=first)
    assert cert.amount_vnd == 10_000_000 and cert.budget.amount_vnd == 15_000_000
    second = flow.to_sector()
    flow.vote("s_chair", second, "certify")
    flow.vote("s_m1", second, "certify")
    entries = AuditEntry.objects.count()
    r = flow.act("s_chair", second, "close", expect=409)
    assert r["code"] == "budget_exhausted"
    i = Initiative.objects.get(pk=second)
    assert i.state == "sector_review" and CouncilSession.objects.get(initiative_id=second, closed_at__isnull=True)
    assert not Certificate.objects.filter(initiative_id=second).exists()
    assert AuditEntry.objects.count() == entries
    assert budget(api, users["s_chair"]).json()["committed_vnd"] == 10_000_000
    # revoking the first frees the money: the close now goes through
    r = api(users["s_chair"]).post(f"/api/v1/certificates/{cert.serial}/revoke/", {"reason": "Sai"}, format="json")
    assert r.status_code == 200, r.content
    flow.act("s_chair", second, "close")
    assert flow.state(second) == "sector_certified"


def test_the_budget_answer_is_for_the_committee_and_those_over_it(api, users):
    give_budget()
    for who in ("s_chair", "auditor_n", "admin_n"):
        assert budget(api, users[who]).status_code == 200, who
    for who in ("author1", "officer_x1", "auditor_b", "outsider"):
        assert budget(api, users[who]).status_code == 403, who
    assert api().get(BUDGET, {"organisation": "NGANH"}).status_code == 401
    assert "organisation" in budget(api, users["s_chair"], organisation="NOPE").json()
    assert "year" in budget(api, users["s_chair"], year="20x5").json()
    assert "year" in budget(api, users["s_chair"], year="99999").json()
    r = budget(api, users["s_chair"], year="2001").json()
    assert (r["configured"], r["budget_vnd"], r["remaining_vnd"], r["items"]) == (False, 0, 0, [])
