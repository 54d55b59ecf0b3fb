import pytest

from audit.models import AuditEntry
from awards.models import Award, Certificate
from initiatives.models import Initiative, State

pytestmark = pytest.mark.django_db

URL = "/api/v1/awards/monthly/{}/"


def select(api, user, month, ids, organisation="NGANH"):
    return api(user).post(URL.format(month), {"organisation": organisation, "initiatives": ids}, format="json")


def commendations():
    return Certificate.objects.filter(award=Award.MONTHLY_COMMENDATION)


def test_an_officer_selects_and_the_selection_is_listed_audited_and_announced(
    api, users, recognised, django_capture_on_commit_callbacks, mailoutbox
):
    users["author1"].email = "author1@example.org"
    users["author1"].save()
    users["officer_x1"].email = "officer_x1@example.org"
    users["officer_x1"].save()
    a, b = recognised(2)
    with django_capture_on_commit_callbacks(execute=True):
        r = select(api, users["admin_n"], "2025-03", [a.pk, b.pk])
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["month"] == "2025-03" and body["cap"] == 5 and body["used"] == 2 and body["remaining"] == 3
    assert [row["initiative"] for row in body["results"]] == [a.pk, b.pk]
    assert body["results"][0]["serial"].startswith("BD-SK-")
    assert AuditEntry.objects.filter(action="award", details__month="2025-03").count() == 2
    # one message per recipient (no recipient learns another's address): two commendations × two people
    assert len(mailoutbox) == 4 and all(len(m.to) == 1 for m in mailoutbox)
    assert sorted(m.to[0] for m in mailoutbox) == ["author1@example.org"] * 2 + ["officer_x1@example.org"] * 2
    assert "biểu dương" in mailoutbox[0].subject

    r = api(users["outsider"]).get(URL.format("2025-03"), {"organisation": "NGANH"})
    assert r.status_code == 200 and r.json()["count"] == 2
    r = api(users["outsider"]).get(URL.format("2025-04"), {"organisation": "NGANH"})
    assert r.json()["count"] == 0 and r.json()["used"] == 0


def test_a_sector_council_member_may_select(api, users, recognised):
    (a,) = recognised(1)
    assert select(api, users["s_m1"], "2025-03", [a.pk]).status_code == 201


def test_the_sixth_pick_of_a_month_is_refused_and_nothing_is_written_next_month_is_fine(api, users, recognised):
    initiatives = recognised(7)
    ids = [i.pk for i in initiatives]
    assert select(api, users["s_chair"], "2025-03", ids[:4]).status_code == 201
    audits = AuditEntry.objects.count()
    r = select(api, users["s_chair"], "2025-03", ids[4:6])
    assert r.status_code == 409 and r.json()["code"] == "quota_exhausted"
    assert commendations().count() == 4 and AuditEntry.objects.count() == audits
    assert select(api, users["s_chair"], "2025-03", ids[4:5]).status_code == 201
    r = select(api, users["s_chair"], "2025-03", ids[5:6])
    assert r.status_code == 409 and r.json()["code"] == "quota_exhausted"
    assert commendations().filter(period_month__month=3).count() == 5
    r = select(api, users["s_chair"], "2025-04", ids[5:7])
    assert r.status_code == 201 and r.json()["used"] == 2


def test_six_at_once_is_refused(api, users, recognised):
    ids = [i.pk for i in recognised(6)]
    r = select(api, users["s_chair"], "2025-03", ids)
    assert r.status_code == 409 and r.json()["code"] == "quota_exhausted"
    assert not commendations().exists()


def test_an_initiative_is_commended_only_once_ever(api, users, recognised):
    a, b = recognised(2)
    assert select(api, users["s_chair"], "2025-03", [a.pk]).status_code == 201
    r = select(api, users["s_chair"], "2025-04", [b.pk, a.pk])
    assert r.status_code == 409 and r.json()["code"] == "already_commended" and r.json()["initiatives"] == [a.pk]
    assert commendations().count() == 1


def test_a_not_recognised_initiative_is_refused_with_its_id(api, users, recognised, make_draft):
    (good,) = recognised(1)
    draft = make_draft()
    (dead,) = recognised(1)
    Initiative.objects.filter(pk=dead.pk).update(state=State.WITHDRAWN)
    for bad in (draft["id"], dead.pk):
        r = select(api, users["s_chair"], "2025-03", [good.pk, bad])
        assert r.status_code == 400
        assert str(bad) in r.json()["initiatives"][0]
    assert not commendations().exists()


def test_unknown_ids_and_bad_input_are_400(api, users, recognised):
    (good,) = recognised(1)
    r = select(api, users["s_chair"], "2025-03", [good.pk, 987654])
    assert r.status_code == 400 and "987654" in r.json()["initiatives"][0]
    assert select(api, users["s_chair"], "2025-03", []).status_code == 400
    assert select(api, users["s_chair"], "2025-03", ["x"]).status_code == 400
    assert select(api, users["s_chair"], "2025-03", [10**30]).status_code == 400
    assert select(api, users["s_chair"], "2025-03", "1,2").status_code == 400
    assert api(users["s_chair"]).get("/api/v1/certificates/", {"initiative": "9" * 30}).status_code == 400
    assert select(api, users["s_chair"], "2025-03", [good.pk, good.pk]).status_code == 400
    assert select(api, users["s_chair"], "2025-13", [good.pk]).status_code == 400
    assert select(api, users["s_chair"], "march", [good.pk]).status_code == 400
    assert select(api, users["s_chair"], "2025-03", [good.pk], organisation="NOPE").status_code == 400
    r = api(users["s_chair"]).post(URL.format("2025-03"), "[1,", content_type="application/json")
    assert r.status_code == 400
    assert api(users["s_chair"]).get(URL.format("2025-03")).status_code == 400
    assert not commendations().exists()


def test_initiatives_outside_the_organisation_are_refused(api, users, recognised):
    (other,) = recognised(1, user="author3", organisation="XN3")
    # the sector's committee (here its admin, an officer of NGANH) selecting for TCTA's subtree
    r = select(api, users["admin_n"], "2025-03", [other.pk], organisation="TCTA")
    assert r.status_code == 400 and str(other.pk) in r.json()["initiatives"][0]


def test_a_corporations_officer_does_not_spend_the_sectors_quota(api, users, recognised):
    (mine,) = recognised(1)
    r = select(api, users["officer_a"], "2025-03", [mine.pk], organisation="TCTA")
    assert r.status_code == 403 and "NGANH" in r.json()["detail"]
    assert not commendations().exists()


def test_outsiders_are_forbidden(api, users, recognised):
    (a,) = recognised(1)
    for who in ("outsider", "author1", "auditor_n", "c_chair", "officer_x1"):
        r = select(api, users[who], "2025-03", [a.pk])
        assert r.status_code == 403, who
        assert "detail" in r.json()
    assert api().post(URL.format("2025-03"), {}, format="json").status_code == 401
    assert not commendations().exists()


def test_suggestions_rank_by_benefit_and_exclude_commended(api, users, recognised):
    low = recognised(1, benefit_value_vnd=10_000_000)[0]
    high = recognised(1, benefit_value_vnd=500_000_000)[0]
    mid = recognised(1, benefit_value_vnd=90_000_000)[0]
    url = URL.format("2025-03") + "suggestions/"
    r = api(users["s_chair"]).get(url, {"organisation": "NGANH"})
    assert r.status_code == 200
    assert [row["id"] for row in r.json()["results"]] == [high.pk, mid.pk, low.pk]
    assert select(api, users["s_chair"], "2025-03", [high.pk]).status_code == 201
    r = api(users["s_chair"]).get(url, {"organisation": "NGANH"})
    assert [row["id"] for row in r.json()["results"]] == [mid.pk, low.pk]
    assert api(users["outsider"]).get(url, {"organisation": "NGANH"}).status_code == 403


def test_rank_candidates_puts_council_scores_first(users, recognised):
    from awards.selectors import rank_candidates

    a = recognised(1, benefit_value_vnd=500_000_000)[0]
    b = recognised(1, benefit_value_vnd=1_000_000)[0]
    c = recognised(1, benefit_value_vnd=2_000_000)[0]
    ranked = rank_candidates(candidates=[a, b, c], scores={b.pk: 90.0, c.pk: 70.0})
    assert [r["id"] for r in ranked] == [b.pk, c.pk, a.pk]


def test_an_initiative_recognised_after_the_month_is_refused(api, users, recognised):
    (a,) = recognised(1)  # recognised in January 2025
    r = select(api, users["s_chair"], "2024-12", [a.pk])
    assert r.status_code == 400 and str(a.pk) in r.json()["initiatives"][0]
    assert select(api, users["s_chair"], "2025-01", [a.pk]).status_code == 201


def test_revoking_a_commendation_frees_the_months_slot(api, users, recognised):
    ids = [i.pk for i in recognised(6)]
    r = select(api, users["admin_n"], "2025-03", ids[:5])
    assert r.status_code == 201
    serial = r.json()["results"][0]["serial"]
    url = f"/api/v1/certificates/{serial}/revoke/"
    assert api(users["officer_x1"]).post(url, {"reason": "Nhầm"}, format="json").status_code == 403
    assert api(users["outsider"]).post(url, {"reason": "Nhầm"}, format="json").status_code == 404
    assert api(users["admin_n"]).post(url, {"reason": "Nhầm"}, format="json").status_code == 200
    r = select(api, users["admin_n"], "2025-03", ids[5:])
    assert r.status_code == 201 and r.json()["used"] == 5 and r.json()["count"] == 5


def test_a_month_that_has_not_come_yet_is_refused(api, users, recognised):
    import datetime

    from django.utils import timezone

    (a,) = recognised(1)
    today = timezone.localdate()
    nxt = (today.replace(day=1) + datetime.timedelta(days=32)).strftime("%Y-%m")
    r = select(api, users["s_chair"], nxt, [a.pk])
    assert r.status_code == 400 and "tháng chưa đến" in str(r.json()["month"])
    assert not commendations().exists()
    assert select(api, users["s_chair"], today.strftime("%Y-%m"), [a.pk]).status_code == 201
