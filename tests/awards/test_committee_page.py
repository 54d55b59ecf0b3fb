import pytest
from django.utils import translation

from awards.models import Award, Certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate_for_author1(users, recognised, sector_council):
    from awards.actions import certificate_issue

    (i,) = recognised(1, title="Sáng kiến được chứng nhận")
    return certificate_issue(
        initiative=i, award=Award.SECTOR_CERTIFICATE, actor=users["s_chair"], council=sector_council
    )


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
    assert f'href="/initiatives/{a.pk}/"' in page  # titles link to the dossier
    assert 'class="muted reason"' in page  # each author's verdict says why
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
    page = r.content.decode()
    assert "Bạn chọn 6 sáng kiến nhưng tháng 03/2025 chỉ còn 5 suất biểu dương" in page
    assert "monthly_commendation" not in page and "đã dùng 0/5" not in page
    assert not Certificate.objects.exists()


def test_an_outsider_sees_the_board_but_cannot_select(client, users, recognised):
    (a,) = recognised(1)
    client.force_login(users["outsider"])
    page = client.get("/awards/", {"organisation": "NGANH"}).content.decode()
    assert "<svg" in page and f'value="{a.pk}"' not in page
    client.post("/awards/monthly/select/", {"organisation": "NGANH", "month": "2025-03", "initiatives": [a.pk]})
    assert not Certificate.objects.exists()


def test_the_quota_board_names_the_programme_and_the_month(client, users, recognised):
    recognised(1)
    client.force_login(users["s_chair"])
    page = client.get("/awards/", {"organisation": "NGANH", "month": "2025-03"}).content.decode()
    assert "03/2025" in page


def test_a_plain_author_sees_their_awards_and_no_empty_form(client, users, certificate_for_author1):
    client.force_login(users["author1"])
    page = client.get("/awards/").content.decode()
    assert 'id="my-awards"' in page and certificate_for_author1.serial in page
    assert '<select id="org"' not in page and 'name="initiatives"' not in page


def test_an_author_without_awards_gets_a_sentence(client, users, structure):
    client.force_login(users["author1"])
    page = client.get("/awards/").content.decode()
    assert 'id="my-awards"' in page and "chưa được khen thưởng" in page
    assert '<select id="org"' not in page


def test_the_quota_message_counts_what_is_left(users, recognised):
    import datetime

    from awards.actions import commendation_select
    from councils.models import Organisation
    from initiatives.exceptions import ApplicationError

    ids = [i.pk for i in recognised(6)]
    with pytest.raises(ApplicationError) as e:
        commendation_select(
            organisation=Organisation.objects.get(code="NGANH"),
            month=datetime.date(2025, 3, 1),
            initiative_ids=ids,
            actor=users["s_chair"],
        )
    assert e.value.code == "quota_exhausted"
    assert "Bạn chọn 6 sáng kiến nhưng tháng 03/2025 chỉ còn 5 suất biểu dương" in e.value.detail
    assert " / " not in e.value.detail  # one language: the English is in the catalogue
    with translation.override("en"), pytest.raises(ApplicationError) as e:
        commendation_select(
            organisation=Organisation.objects.get(code="NGANH"),
            month=datetime.date(2025, 3, 1),
            initiative_ids=ids,
            actor=users["s_chair"],
        )
    assert "You picked 6 initiatives but only 5 places for commendations" in e.value.detail


def test_the_candidates_eligibility_and_remuneration_cost_the_same_queries_for_2_or_12(client, users, recognised):
    """Each candidate's authors, eligibility and remuneration come from a few queries for the whole
    list (the authors fetched together, the rules once), not ~3 queries a candidate."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users["s_chair"])
    counts = []
    for n in (2, 10):
        recognised(n, benefit_value_vnd=120_000_000)
        client.get("/awards/", {"organisation": "NGANH", "month": "2025-03"})  # warm the per-process caches
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/awards/", {"organisation": "NGANH", "month": "2025-03"}).content.decode()
        assert page.count('name="initiatives"') == (2 if n == 2 else 12)
        assert page.count("8.400.000") >= (2 if n == 2 else 12)  # every candidate's remuneration is there
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
