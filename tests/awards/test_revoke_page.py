"""Revoking a certificate from the pages (issue 9, build 6: "committee — revoke with reasons"):
who may, what they are told, a required reason kept on refusal, the result on the dossier, the
public verification page and the trail."""

import pytest

from audit.models import AuditEntry
from awards.actions import certificate_issue
from awards.models import Award, Certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(users, recognised, sector_council):
    from initiatives.models import Initiative

    (i,) = recognised(1, title="Sáng kiến giảm tổn thất điện năng lưới hạ áp")
    Initiative.objects.filter(pk=i.pk).update(council=sector_council)  # the sector council judged it
    return certificate_issue(
        initiative=i, award=Award.SECTOR_CERTIFICATE, actor=users["s_chair"], council=sector_council
    )


def _url(c):
    return f"/awards/certificates/{c.serial}/revoke/"


def test_the_chair_finds_it_on_the_committee_page_and_the_dossier(client, users, certificate):
    client.force_login(users["s_chair"])
    html = client.get("/awards/").content.decode()
    assert "Khen thưởng bạn có thể thu hồi" in html and _url(certificate) in html
    assert _url(certificate) in client.get(f"/initiatives/{certificate.initiative_id}/").content.decode()
    page = client.get(_url(certificate)).content.decode()
    assert certificate.serial in page and "không thể hoàn tác" in page and "Công đoàn ngành Thử" in page


def test_a_missing_reason_is_named_beside_the_field_and_nothing_changes(client, users, certificate):
    client.force_login(users["s_sec"])
    r = client.post(_url(certificate), {"reason": "   "})
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="r-reason-error"' in html and "cần nêu lý do thu hồi" in html
    certificate.refresh_from_db()
    assert certificate.revoked_at is None and not AuditEntry.objects.filter(action="award_revoke").exists()


def test_revoked_with_its_reason_everywhere(client, users, certificate):
    client.force_login(users["s_chair"])
    r = client.post(_url(certificate), {"reason": "Trùng với sáng kiến đã công nhận năm 2024"})
    assert r.status_code == 302 and r["Location"] == f"/initiatives/{certificate.initiative_id}/"
    html = client.get(r["Location"]).content.decode()
    assert f"Đã thu hồi {certificate.serial}" in html and "(đã thu hồi)" in html and _url(certificate) not in html
    certificate.refresh_from_db()
    assert certificate.revoke_reason == "Trùng với sáng kiến đã công nhận năm 2024"
    entry = AuditEntry.objects.get(action="award_revoke")
    assert entry.comment == certificate.revoke_reason and entry.actor_id == users["s_chair"].pk
    assert "Đã thu hồi" in client.get(f"/awards/verify/{certificate.serial}/").content.decode()
    # a second time: told it is already revoked, nothing written again
    r = client.post(_url(certificate), {"reason": "Lần nữa"}, follow=True)
    assert "Đã thu hồi trước đó" in r.content.decode()
    assert AuditEntry.objects.filter(action="award_revoke").count() == 1


@pytest.mark.parametrize("who, status", [("s_m1", 403), ("officer_a", 403), ("author1", 403), ("outsider", 404)])
def test_nobody_else_may_revoke(client, users, certificate, who, status):
    client.force_login(users[who])
    assert client.get(_url(certificate)).status_code == status
    r = client.post(_url(certificate), {"reason": "Tôi muốn thu hồi"})
    assert r.status_code == status
    if status == 403:
        assert "Chỉ chủ tịch hoặc thư ký hội đồng đã xét tặng" in r.content.decode()
    assert Certificate.objects.get(pk=certificate.pk).revoked_at is None
    assert _url(certificate) not in client.get(f"/initiatives/{certificate.initiative_id}/").content.decode()
