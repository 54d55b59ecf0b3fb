"""What the e-mails say is also in the application (issue 9, build 6: "everyone — an in-app
notification list, read/unread"): one row per person, mail address or not; each sees only their
own; opening one marks it read and leads to the dossier."""

import pytest

from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_a_submitted_dossier_notifies_the_advisory_team_in_the_application(flow, client, users, mailoutbox):
    adviser = users["u1_adv"]
    adviser.email = ""  # no address: the application still tells them
    adviser.save(update_fields=["email"])
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    (note,) = Notification.objects.filter(recipient=adviser)
    assert note.subject.startswith("Hồ sơ mới nộp:") and not note.subject.startswith("[Sáng kiến]")
    assert note.url == f"/initiatives/{iid}/" and note.read_at is None
    assert not [m for m in mailoutbox if "u1_adv@example.org" in m.to]
    client.force_login(adviser)
    home = client.get("/").content.decode()
    assert 'class="nav-notifications"' in home and '<span class="count"' in home
    page = client.get("/notifications/").content.decode()
    assert note.subject in page and "chưa đọc" in page
    r = client.get(f"/notifications/{note.pk}/")
    assert r.status_code == 302 and r["Location"] == f"/initiatives/{iid}/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert '<span class="count"' not in client.get("/").content.decode()


def test_the_decision_reaches_the_author_as_mail_and_notification(flow, users, mailoutbox):
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "return", comment="Thiếu bảng số liệu")
    note = Notification.objects.filter(recipient=users["author1"]).latest("id")
    assert "Kết quả xét" in note.subject and "Thiếu bảng số liệu" in note.body
    mail = [m for m in mailoutbox if m.to == ["author1@example.org"]][-1]
    assert mail.subject == "[Sáng kiến] " + note.subject and mail.body == note.body


def test_each_sees_only_their_own(flow, api, client, users):
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    theirs = Notification.objects.get(recipient=users["u1_adv"])
    other = api(users["author2"])
    assert other.get("/api/v1/notifications/").json()["results"] == []
    assert other.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    client.force_login(users["author2"])
    assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
    assert theirs.subject not in client.get("/notifications/").content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_api_lists_marks_one_and_all_read(flow, api, users):
    for _ in range(2):
        flow.act("author1", flow.draft(), "submit")
    adviser = api(users["u1_adv"])
    rows = adviser.get("/api/v1/notifications/", {"unread": "1"}).json()["results"]
    assert len(rows) == 2 and not any(r["read"] for r in rows)
    r = adviser.post(f"/api/v1/notifications/{rows[0]['id']}/read/")
    assert r.status_code == 200 and r.json()["read"] is True
    assert len(adviser.get("/api/v1/notifications/", {"unread": "1"}).json()["results"]) == 1
    assert adviser.post("/api/v1/notifications/read-all/").json() == {"read": 1}
    assert adviser.get("/api/v1/notifications/", {"unread": "1"}).json()["results"] == []
    assert api().get("/api/v1/notifications/").status_code in (401, 403)


def test_mark_all_read_from_the_page(flow, client, users):
    flow.act("author1", flow.draft(), "submit")
    client.force_login(users["u1_adv"])
    r = client.post("/notifications/read-all/", follow=True)
    assert "Đã đánh dấu 1 thông báo là đã đọc." in r.content.decode()
    assert not Notification.objects.filter(recipient=users["u1_adv"], read_at=None).exists()
