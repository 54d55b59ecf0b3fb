"""The campaign pages and the dashboard's reach: an officer sees how many a campaign will reach,
sends it, reads its result; the dashboard shows the share reached and how many joined."""

import pytest

from campaigns.models import Campaign
from councils.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(users):
    for u in User.objects.all():
        u.email = f"{u.username}@example.org"
        u.save(update_fields=["email"])
    return users["officer_a"]


def test_the_officer_sees_the_reach_sends_and_reads_the_result(
    client, officer, users, mailoutbox, make_draft, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    assert 'href="/campaigns/"' in client.get("/").content.decode()  # the header's link for officers
    r = client.get("/campaigns/new/", {"organisation": "XN2"})
    html = r.content.decode()
    assert r.status_code == 200 and 'id="reach"' in html
    n = User.objects.filter(organisation__code="XN2").count()
    assert f"<strong>{n}</strong>" in html
    r = client.post("/campaigns/new/", {"organisation": "XN2", "subject": "", "message": "", "send": "1"})
    assert r.status_code == 400 and 'id="c-subject-error"' in r.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the batches run as after a real commit
        r = client.post(
            "/campaigns/new/",
            {
                "organisation": "XN2",
                "subject": "Mời viết sáng kiến",
                "message": "Hãy gửi ý tưởng của bạn.",
                "send": "1",
            },
        )
    assert r.status_code == 302
    r = client.get(r["Location"])
    html = r.content.decode()
    campaign = Campaign.objects.get()
    assert r.request["PATH_INFO"] == f"/campaigns/{campaign.pk}/"
    assert f'<td class="num" id="c-sent">{n}</td>' in html and 'id="c-failed">0<' in html
    assert "Đã gửi xong" in html and len(mailoutbox) == n
    assert "Mời viết sáng kiến" in client.get("/campaigns/").content.decode()
    # a person joins afterwards: the dashboard shows the reach and who joined
    make_draft("u2_m1", organisation="XN2", authors=[{"username": "u2_m1", "share_percent": 100}])
    html = client.get("/reports/", {"organisation": "TCTA"}).content.decode()
    assert f'id="reach-reached">{n}<' in html and 'id="reach-joined">1<' in html
    assert f'id="reach-percent">{str(round(n * 100 / 2000, 1)).replace(".", ",")}<' in html  # Vietnamese decimals
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="c-joined">1<' in html


def test_who_is_no_officer_is_told_so(client, users):
    client.force_login(users["author1"])
    assert client.get("/campaigns/").status_code == 403
    assert client.get("/campaigns/new/").status_code == 403
    assert 'href="/campaigns/"' not in client.get("/").content.decode()
    client.force_login(users["officer_x1"])
    r = client.post("/campaigns/new/", {"organisation": "TCTA", "subject": "a", "message": "b", "send": "1"})
    assert r.status_code == 400 and not Campaign.objects.exists()  # not among their organisations
