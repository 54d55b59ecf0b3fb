"""POST/GET /awards/nominations/{YYYY-MM}/: a union proposes recognised initiatives of its subtree
to the union directly above it; each level sees what reached it and may pass it up again; the
sector's committee sees the nominations first among its monthly suggestions."""

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from awards.models import Nomination
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

URL = "/api/v1/awards/nominations/{}/"


def month():
    return f"{timezone.localdate():%Y-%m}"


def nominate(api, user, ids, organisation, comment="", when=None):
    return api(user).post(
        URL.format(when or month()),
        {"organisation": organisation, "initiatives": ids, "comment": comment},
        format="json",
    )


def test_a_nomination_flows_up_level_by_level_with_whose_proposal(api, users, recognised):
    a, b = recognised(2)
    r = nominate(api, users["officer_x1"], [a.pk, b.pk], "XN1", "Tiết kiệm lớn, áp dụng được toàn ngành")
    assert r.status_code == 201, r.content
    assert [(n["initiative"], n["organisation"], n["to"]) for n in r.json()] == [
        (a.pk, "XN1", "TCTA"),
        (b.pk, "XN1", "TCTA"),
    ]
    assert AuditEntry.objects.filter(action="nominate", object_id=str(a.pk), details__to="TCTA").count() == 1

    # the corporation sees what reached it, with the proposer, the union, the comment and when
    r = api(users["officer_a"]).get(URL.format(month()), {"organisation": "TCTA"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) >= {"count", "next", "previous", "results"} and body["count"] == 2
    row = body["results"][0]
    assert row["id"] == a.pk and row["passed_up"] is False
    (p,) = row["proposals"]
    assert p["by"] == "officer_x1" and p["organisation"] == "XN1"
    assert p["comment"] == "Tiết kiệm lớn, áp dụng được toàn ngành" and p["at"]
    # nothing reached the sector yet
    assert api(users["s_chair"]).get(URL.format(month()), {"organisation": "NGANH"}).json()["count"] == 0

    # the corporation's council member (its award committee) passes one up to the sector
    r = nominate(api, users["c_chair"], [a.pk], "TCTA", "Tổng công ty đề cử lên ngành")
    assert r.status_code == 201, r.content
    assert api(users["officer_a"]).get(URL.format(month()), {"organisation": "TCTA"}).json()["results"][0]["passed_up"]
    rows = api(users["s_chair"]).get(URL.format(month()), {"organisation": "NGANH"}).json()["results"]
    assert [(r["id"], [p["organisation"] for p in r["proposals"]]) for r in rows] == [(a.pk, ["TCTA"])]
    assert AuditEntry.objects.filter(action="nominate", object_id=str(a.pk)).count() == 2

    # the sector's monthly suggestions show the nominated first (b has the bigger benefit)
    Initiative.objects.filter(pk=b.pk).update(benefit_value_vnd=900_000_000)
    r = api(users["s_chair"]).get(f"/api/v1/awards/monthly/{month()}/suggestions/", {"organisation": "NGANH"})
    assert r.status_code == 200, r.content
    first, *rest = r.json()["results"]
    assert first["id"] == a.pk and first["nominated"] is True and first["nominated_by"] == ["TCTA"]
    assert all(not x["nominated"] for x in rest) and b.pk in [x["id"] for x in rest]
    # and it may pick it among its monthly five (or pick directly)
    r = api(users["s_chair"]).post(
        f"/api/v1/awards/monthly/{month()}/", {"organisation": "NGANH", "initiatives": [a.pk, b.pk]}, format="json"
    )
    assert r.status_code == 201, r.content
    rows = api(users["s_chair"]).get(URL.format(month()), {"organisation": "NGANH"}).json()["results"]
    assert rows[0]["commended"] is True
    # the monthly selection shows the nominations too (to those who may see them)
    body = api(users["s_chair"]).get(f"/api/v1/awards/monthly/{month()}/", {"organisation": "NGANH"}).json()
    assert [(n["id"], n["nominated_by"], n["commended"]) for n in body["nominations"]] == [(a.pk, ["TCTA"], True)]
    assert (
        api(users["outsider"])
        .get(f"/api/v1/awards/monthly/{month()}/", {"organisation": "NGANH"})
        .json()["nominations"]
        == []
    )


def test_the_same_initiative_twice_to_the_same_level_in_a_month_is_409(api, users, recognised):
    (a,) = recognised(1)
    assert nominate(api, users["officer_x1"], [a.pk], "XN1").status_code == 201
    r = nominate(api, users["u1_chair"], [a.pk], "XN1")
    assert r.status_code == 409 and r.json()["code"] == "already_nominated"
    assert str(a.pk) in r.json()["detail"]
    assert Nomination.objects.count() == 1
    # another month is another nomination
    assert nominate(api, users["officer_x1"], [a.pk], "XN1", when="2025-02").status_code == 201


def test_outside_the_subtree_is_refused_naming_the_id_and_nothing_is_written(api, users, recognised):
    (mine,) = recognised(1)
    (theirs,) = recognised(
        1, user="author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}]
    )
    r = nominate(api, users["officer_x1"], [mine.pk, theirs.pk], "XN1")
    assert r.status_code == 400, r.content
    assert str(theirs.pk) in r.json()["initiatives"][0]
    assert not Nomination.objects.exists() and not AuditEntry.objects.filter(action="nominate").exists()


def test_an_unrecognised_initiative_is_400(api, users, make_draft):
    draft = make_draft()
    r = nominate(api, users["officer_x1"], [draft["id"]], "XN1")
    assert r.status_code == 400 and str(draft["id"]) in r.json()["initiatives"][0]


def test_bad_months_bodies_and_organisations_are_400(api, users, recognised):
    (a,) = recognised(1)
    for bad in ("2025-13", "25-01", "2025-1x", "9999-01"):
        r = nominate(api, users["officer_x1"], [a.pk], "XN1", when=bad)
        assert r.status_code == 400 and "month" in r.json(), bad
    next_year = f"{timezone.localdate().year + 1}-01"
    assert "month" in nominate(api, users["officer_x1"], [a.pk], "XN1", when=next_year).json()
    assert "initiatives" in nominate(api, users["officer_x1"], [], "XN1").json()
    assert "initiatives" in nominate(api, users["officer_x1"], ["x"], "XN1").json()
    assert "organisation" in nominate(api, users["officer_x1"], [a.pk], "NOPE").json()
    r = api(users["officer_x1"]).get(URL.format("2025-13"), {"organisation": "XN1"})
    assert r.status_code == 400 and "month" in r.json()
    # the federation has no union above it
    r = nominate(api, users["f_chair"], [a.pk], "TLD")
    assert r.status_code == 400 and "organisation" in r.json()


def test_someone_neither_officer_nor_committee_is_403(api, users, recognised):
    (a,) = recognised(1)
    for who in ("author1", "outsider", "officer_a", "c_chair"):  # officer_a/c_chair are not XN1's... see below
        r = nominate(api, users[who], [a.pk], "XN1")
        if who in ("officer_a",):  # an officer above a union acts for it (roles hold on the subtree)
            assert r.status_code == 201, r.content
            Nomination.objects.all().delete()
            continue
        assert r.status_code == 403, (who, r.content)
        assert "XN1" in r.json()["detail"]
    r = api(users["author1"]).get(URL.format(month()), {"organisation": "TCTA"})
    assert r.status_code == 403
    assert api().get(URL.format(month()), {"organisation": "TCTA"}).status_code == 401


def test_a_confidential_dossier_shows_no_benefit_to_those_who_may_not_see_it(api, users, recognised):
    (a,) = recognised(1, confidential=True)
    assert nominate(api, users["officer_x1"], [a.pk], "XN1").status_code == 201
    row = api(users["c_m2"]).get(URL.format(month()), {"organisation": "TCTA"}).json()["results"][0]
    assert row["benefit_value_vnd"] is None and row["title"] == a.title
    assert "authors" not in row
    row = api(users["auditor_n"]).get(URL.format(month()), {"organisation": "TCTA"}).json()["results"][0]
    assert row["benefit_value_vnd"] == a.benefit_value_vnd
