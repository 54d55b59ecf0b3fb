"""POST /campaigns/ · GET /campaigns/{cid}/ (API.md §2, second round), the batches, the reach."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from campaigns.actions import campaign_batches, campaign_send_batch
from campaigns.models import Campaign, CampaignRecipient
from councils.models import User
from initiatives.models import Initiative
from notifications.models import Notification

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns/"
BODY = {
    "organisation": "TCTA",
    "subject": "Mời đoàn viên tham gia viết sáng kiến",
    "message": "Chương trình 01 triệu sáng kiến đang chờ ý tưởng của bạn.",
    "audience": "without_initiative",
}


@pytest.fixture
def people(users):
    """Everyone has an address (as the flow fixture gives them), but one person has none and one
    account is disabled."""
    for u in User.objects.all():
        u.email = f"{u.username}@example.org"
        u.save(update_fields=["email"])
    User.objects.filter(username="c_m2").update(email="")
    User.objects.filter(username="c_m1").update(is_active=False)
    return {u.username: u for u in User.objects.all()}


def expected_recipients(exclude=()):
    """People of TCTA's subtree with an address and an active account, less those given."""
    qs = User.objects.filter(organisation__code__in=["TCTA", "XN1", "XN2"], is_active=True).exclude(email="")
    return sorted(set(qs.values_list("username", flat=True)) - set(exclude))


def send(api, user, body=None, capture=None):
    if capture is None:
        return api(user).post(URL, body or BODY, format="json")
    with capture(execute=True):
        return api(user).post(URL, body or BODY, format="json")


def test_an_officer_mails_everyone_of_the_subtree_without_an_initiative_once_each(
    api, people, make_draft, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.CAMPAIGN_BATCH_SIZE = 3  # several batches, each a task
    make_draft("author1")  # author1 has an initiative in the programme (a draft counts)
    make_draft("u2_m1", organisation="XN2", authors=[{"username": "u2_m1", "share_percent": 100}])
    mailoutbox.clear()
    r = send(api, people["officer_a"], capture=django_capture_on_commit_callbacks)
    assert r.status_code == 201, r.content
    assert r.json()["recipients"] == len(expected_recipients(exclude=["author1", "u2_m1"]))
    body = api(people["officer_a"]).get(f"{URL}{r.json()['id']}/").json()  # the batches ran on commit
    expected = expected_recipients(exclude=["author1", "u2_m1"])
    assert body["recipients"] == len(expected) and body["sent"] == len(expected) and body["failed"] == 0
    assert body["state"] == "done" and body["joined"] == 0
    assert sorted(m.to[0] for m in mailoutbox) == sorted(f"{u}@example.org" for u in expected)
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mailoutbox)  # one recipient per message
    assert mailoutbox[0].subject == "[Sáng kiến] Mời đoàn viên tham gia viết sáng kiến"
    # each recipient reads it in the application too
    assert Notification.objects.filter(recipient__username=expected[0], subject=BODY["subject"]).count() == 1
    assert (
        "Chương trình 01 triệu sáng kiến đang chờ" in mailoutbox[0].body and "/initiatives/new/" in mailoutbox[0].body
    )
    # the subtree only: a person of XN3 (the other corporation) is not written to
    assert "author3@example.org" not in [m.to[0] for m in mailoutbox]
    entry = AuditEntry.objects.get(action="create_campaign")
    assert entry.actor_name == "officer_a" and entry.details["recipients"] == len(expected)
    # the GET answers the same figures, to the officer and to an auditor above; 404 to others
    cid = body["id"]
    got = api(people["officer_a"]).get(f"{URL}{cid}/").json()
    assert {k: got[k] for k in ("recipients", "sent", "failed", "state")} == {
        "recipients": len(expected),
        "sent": len(expected),
        "failed": 0,
        "state": "done",
    }
    assert api(people["auditor_n"]).get(f"{URL}{cid}/").status_code == 200
    assert api(people["officer_x1"]).get(f"{URL}{cid}/").status_code == 404
    assert api(people["author1"]).get(f"{URL}{cid}/").status_code == 404
    assert api(people["officer_a"]).get(f"{URL}abc/").status_code == 404
    assert [c["id"] for c in api(people["officer_a"]).get(URL).json()["results"]] == [cid]


def test_refusals_name_the_field_or_say_who_may(api, people):
    r = send(api, people["officer_x1"])  # an officer of a unit below, not of the corporation
    assert r.status_code == 403 and r.json()["detail"]
    assert send(api, people["author1"], {**BODY, "organisation": "XN1"}).status_code == 403
    r = send(api, people["officer_a"], {**BODY, "subject": "  ", "message": ""})
    assert r.status_code == 400 and set(r.json()) == {"subject", "message"}
    r = send(api, people["officer_a"], {**BODY, "audience": "everyone"})
    assert r.status_code == 400 and set(r.json()) == {"audience"}
    r = send(api, people["officer_a"], {**BODY, "organisation": "NOPE"})
    assert r.status_code == 400 and "organisation" in r.json()
    assert not Campaign.objects.exists() and not AuditEntry.objects.filter(action="create_campaign").exists()


def test_a_retried_batch_mails_nobody_twice_and_failures_are_counted(
    api, people, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.campaigns.backends.RefusingBackend"
    settings.CAMPAIGN_BATCH_SIZE = 4
    r = send(api, people["officer_a"])  # committed callbacks not run: the batches wait
    assert r.status_code == 201 and r.json()["sent"] == 0 and r.json()["state"] == "sending"
    cid = r.json()["id"]
    expected = expected_recipients()
    assert CampaignRecipient.objects.filter(campaign_id=cid).count() == len(expected)
    batches = campaign_batches(campaign_id=cid)
    assert len(batches) == -(-len(expected) // 4)
    first, last = batches[0]
    # a row a dead worker claimed long ago: counted failed, never mailed (it may have been)
    dead = CampaignRecipient.objects.filter(campaign_id=cid, user__username="officer_a").get()
    CampaignRecipient.objects.filter(pk=dead.pk).update(
        state="sending", claimed_at=timezone.now() - datetime.timedelta(hours=1), claim="dead"
    )
    campaign_send_batch(campaign_id=cid, first_id=first, last_id=last)
    sent_once = len(mailoutbox)
    again = campaign_send_batch(campaign_id=cid, first_id=first, last_id=last)  # a retry of the same batch
    assert again == {"sent": 0, "failed": 0} and len(mailoutbox) == sent_once
    for first, last in batches + batches:  # every batch, each twice
        campaign_send_batch(campaign_id=cid, first_id=first, last_id=last)
    addresses = [m.to[0] for m in mailoutbox]
    assert len(addresses) == len(set(addresses)) == len(expected) - 2
    assert "u2_m2@example.org" not in addresses and "officer_a@example.org" not in addresses
    got = api(people["officer_a"]).get(f"{URL}{cid}/").json()
    assert got["sent"] == len(expected) - 2 and got["failed"] == 2 and got["state"] == "done"
    assert CampaignRecipient.objects.get(pk=dead.pk).error == "interrupted"
    assert CampaignRecipient.objects.get(campaign_id=cid, user__username="u2_m2").error.startswith("OSError")


def test_audience_preview_and_the_reach_with_those_who_joined(
    api, people, make_draft, django_capture_on_commit_callbacks
):
    r = api(people["officer_a"]).get(f"{URL}audience/", {"organisation": "TCTA"})
    assert r.status_code == 200 and r.json()["recipients"] == len(expected_recipients())
    assert api(people["officer_x1"]).get(f"{URL}audience/", {"organisation": "TCTA"}).status_code == 403
    assert send(api, people["officer_a"], capture=django_capture_on_commit_callbacks).status_code == 201
    reached = len(expected_recipients())
    # two recipients write their first initiative afterwards
    make_draft("u2_m1", organisation="XN2", authors=[{"username": "u2_m1", "share_percent": 100}])
    make_draft("author1")
    assert Initiative.objects.count() == 2
    cid = Campaign.objects.get().pk
    assert api(people["officer_a"]).get(f"{URL}{cid}/").json()["joined"] == 2
    r = api(people["officer_a"]).get(f"{URL}reach/", {"organisation": "TCTA"})
    assert r.status_code == 200, r.content
    reach = r.json()
    assert reach["campaigns"] == 1 and reach["reached"] == reached and reach["joined"] == 2
    assert reach["members"] == 2000 and reach["reached_percent"] == round(reached * 100 / 2000, 1)
    assert reach["joined_percent"] == round(2 * 100 / reached, 1)
    xn2 = api(people["officer_a"]).get(f"{URL}reach/", {"organisation": "XN2"}).json()
    assert xn2["joined"] == 1 and xn2["members"] == 200
    assert api(people["author1"]).get(f"{URL}reach/", {"organisation": "TCTA"}).status_code == 403
    # a second campaign writes only to those still without an initiative
    assert (
        send(api, people["officer_a"], capture=django_capture_on_commit_callbacks).json()["recipients"] == reached - 2
    )
    assert api(people["officer_a"]).get(f"{URL}reach/", {"organisation": "TCTA"}).json()["reached"] == reached
