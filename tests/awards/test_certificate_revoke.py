import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from awards.actions import certificate_issue, certificate_revoke
from awards.models import Award, Certificate
from initiatives.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


def issue(i, users, council, actor="s_chair"):
    return certificate_issue(initiative=i, award=Award.SECTOR_CERTIFICATE, actor=users[actor], council=council)


def test_revoking_needs_a_reason(users, recognised, sector_council):
    (i,) = recognised(1)
    c = issue(i, users, sector_council)
    for reason in ("", "   "):
        with pytest.raises(ValidationError):
            certificate_revoke(certificate_id=c.pk, actor=users["s_chair"], reason=reason)
    c.refresh_from_db()
    assert c.revoked_at is None


def test_only_the_awarding_councils_chair_or_secretary_may_revoke(users, recognised, sector_council):
    (i,) = recognised(1)
    c = issue(i, users, sector_council)
    for actor in ("s_m1", "f_chair", "officer_a", "author1"):
        with pytest.raises(PermissionDenied):
            certificate_revoke(certificate_id=c.pk, actor=users[actor], reason="Sai sót hồ sơ")
    certificate_revoke(certificate_id=c.pk, actor=users["s_sec"], reason="Sai sót hồ sơ")
    c.refresh_from_db()
    assert c.revoked and c.revoked_by == users["s_sec"] and c.revoke_reason == "Sai sót hồ sơ"
    entry = AuditEntry.objects.filter(action="award_revoke").get()
    assert entry.comment == "Sai sót hồ sơ" and entry.details["serial"] == c.serial
    with pytest.raises(ApplicationError) as e:
        certificate_revoke(certificate_id=c.pk, actor=users["s_chair"], reason="lần nữa")
    assert e.value.code == "already_revoked"


def test_revoking_frees_the_quota_unit(users, recognised, sector_council):
    initiatives = recognised(11)
    issued = [issue(i, users, sector_council) for i in initiatives[:10]]
    with pytest.raises(ApplicationError):
        issue(initiatives[10], users, sector_council)
    certificate_revoke(certificate_id=issued[3].pk, actor=users["s_chair"], reason="Trùng với sáng kiến đã có")
    new = issue(initiatives[10], users, sector_council)
    assert new.serial.endswith("-0011")
    assert Certificate.objects.count() == 11  # the revoked row is kept
    assert Certificate.objects.filter(revoked_at__isnull=True).count() == 10
    # the revoked initiative may be certified again once a unit is free
    certificate_revoke(certificate_id=new.pk, actor=users["s_chair"], reason="Nhầm")
    assert issue(initiatives[3], users, sector_council).initiative_id == initiatives[3].pk
