import pytest

from awards.models import Award, Certificate

pytestmark = pytest.mark.django_db


def test_the_page_needs_a_login(client, structure):
    assert client.get("/awards/").status_code == 302


def test_the_committee_sees_quotas_candidates_and_selects_without_javascript(client, users, recognised):
    users["author1"].qualification = "Cao đẳng"
    users["author1"].save()
    a, b = recognised(2, benefit_value_vnd=120_000_000)
    client.force_login(users["s_chair"])
    r = client.get("/awards/", {"organisation": "NGANH", "month": "2025-03"})
    page = r.content.decode()
    assert r.status_code == 200
    assert "<svg" in page and "Chứng nhận Lao động sáng tạo" in page
    assert f'value="{a.pk}"' in page and f'value="{b.pk}"' in page
    assert "8.400.000" in page  # 7 % of 120 M a year
    r = client.post("/awards/monthly/select/", {"organisation": "NGANH", "month": "2025-03", "initiatives": [a.pk]})
    assert r.status_code == 302
    assert Certificate.objects.filter(award=Award.MONTHLY_COMMENDATION, initiative=a).exists()
    page = client.get(r["Location"]).content.decode()
    assert "Đã chọn 1" in page and f'value="{a.pk}"' not in page


def test_the_form_reports_refusals(client, users, recognised):
    ids = [i.pk for i in recognised(6)]
    client.force_login(users["s_chair"])
    r = client.post(
        "/awards/monthly/select/", {"organisation": "NGANH", "month": "2025-03", "initiatives": ids}, follow=True
    )
    assert "hạn mức" in r.content.decode()
    assert not Certificate.objects.exists()


def test_an_outsider_sees_the_board_but_cannot_select(client, users, recognised):
    (a,) = recognised(1)
    client.force_login(users["outsider"])
    page = client.get("/awards/", {"organisation": "NGANH"}).content.decode()
    assert "<svg" in page and f'value="{a.pk}"' not in page
    client.post("/awards/monthly/select/", {"organisation": "NGANH", "month": "2025-03", "initiatives": [a.pk]})
    assert not Certificate.objects.exists()
