"""The pages: nominations (what reached my union, with the proposer's comment; propose or pass up),
the committee's page listing the nominated first, the ad-hoc commendation form, the budget page."""

import pytest
from django.utils import timezone

from awards.models import Budget, Certificate, Nomination
from councils.models import Organisation

pytestmark = pytest.mark.django_db


def month():
    return f"{timezone.localdate():%Y-%m}"


def test_nominations_flow_up_through_the_pages(client, users, recognised):
    a, b = recognised(2)
    client.force_login(users["officer_x1"])
    page = client.get("/awards/nominations/").content.decode()
    assert a.title in page and "Đề cử lên Công đoàn Tổng công ty A" in page
    r = client.post(
        "/awards/nominations/",
        {"organisation": "XN1", "month": month(), "initiatives": [a.pk], "comment": "Giảm 30% thời gian"},
    )
    assert r.status_code == 302
    assert Nomination.objects.get().to_organisation.code == "TCTA"
    # twice: refused with the reason (the comment kept), nothing written
    r = client.post(
        "/awards/nominations/", {"organisation": "XN1", "month": month(), "initiatives": [a.pk], "comment": "Lại"}
    )
    assert r.status_code == 409 and "đã được đề cử" in r.content.decode() and ">Lại</textarea>" in r.content.decode()
    assert Nomination.objects.count() == 1

    client.force_login(users["officer_a"])
    page = client.get("/awards/nominations/", {"organisation": "TCTA", "month": month()}).content.decode()
    assert "Giảm 30% thời gian" in page and f'id="pass-{a.pk}"' in page
    client.post("/awards/nominations/", {"organisation": "TCTA", "month": month(), "initiatives": [a.pk]})
    assert Nomination.objects.filter(to_organisation__code="NGANH").count() == 1

    client.force_login(users["s_chair"])
    page = client.get("/awards/", {"organisation": "NGANH", "month": month()}).content.decode()
    assert "Được đề cử bởi TCTA" in page
    assert page.index(f'id="pick-{a.pk}"') < page.index(f'id="pick-{b.pk}"')


def test_the_nominations_page_refuses_outsiders_and_hides_confidential_benefit(client, users, recognised):
    (a,) = recognised(1, confidential=True, benefit_value_vnd=987_654_321)
    Nomination.objects.create(
        month=timezone.localdate().replace(day=1),
        initiative=a,
        from_organisation=Organisation.objects.get(code="XN1"),
        to_organisation=Organisation.objects.get(code="TCTA"),
        proposed_by=users["officer_x1"],
        proposed_at=timezone.now(),
    )
    client.force_login(users["author1"])
    assert client.get("/awards/nominations/", {"organisation": "TCTA"}).status_code == 403
    client.force_login(users["c_m2"])
    page = client.get("/awards/nominations/", {"organisation": "TCTA"}).content.decode()
    assert a.title in page and "987.654.321" not in page and "Sáng kiến bảo mật" in page


def test_the_adhoc_form_and_the_budget_page(client, users, recognised):
    Budget.objects.create(
        organisation=Organisation.objects.get(code="NGANH"), year=timezone.localdate().year, amount_vnd=9_000_000
    )
    (a,) = recognised(1)
    client.force_login(users["s_chair"])
    page = client.get("/awards/commendations/new/").content.decode()
    assert "còn 9.000.000 / 9.000.000 VND" in page and a.title in page
    r = client.post(
        "/awards/commendations/new/", {"organisation": "NGANH", "initiative": a.pk, "amount_vnd": "2.000.000"}
    )
    assert r.status_code == 400 and "cần nêu lý do" in r.content.decode()
    r = client.post(
        "/awards/commendations/new/",
        {"organisation": "NGANH", "initiative": a.pk, "amount_vnd": "20.000.000", "reason": "Cứu sự cố"},
    )
    assert r.status_code == 409 and "không đủ" in r.content.decode() and not Certificate.objects.exists()
    r = client.post(
        "/awards/commendations/new/",
        {"organisation": "NGANH", "initiative": a.pk, "amount_vnd": "2.000.000", "reason": "Cứu sự cố"},
    )
    assert r.status_code == 302
    serial = Certificate.objects.get().serial
    assert serial in client.get(r["Location"]).content.decode()
    page = client.get("/awards/budget/", {"organisation": "NGANH"}).content.decode()
    assert serial in page and "7.000.000 VND" in page and "2.000.000" in page
    client.force_login(users["auditor_n"])
    assert client.get("/awards/budget/", {"organisation": "NGANH"}).status_code == 200
    client.force_login(users["author1"])
    assert "Khen thưởng đột xuất" in client.get(f"/initiatives/{a.pk}/").content.decode()  # on the dossier
    assert client.get("/awards/budget/", {"organisation": "NGANH"}).status_code == 403
    assert client.get("/awards/commendations/new/", {"organisation": "NGANH"}).status_code == 403
