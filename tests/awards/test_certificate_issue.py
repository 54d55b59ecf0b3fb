import re

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audit.models import AuditEntry
from awards.actions import certificate_issue
from awards.models import Award, Certificate, Quota
from awards.selectors import awards_for, quota_for, quota_usage
from initiatives.exceptions import ApplicationError
from initiatives.models import Initiative, State

pytestmark = pytest.mark.django_db


def issue(initiative, users, council, award=Award.SECTOR_CERTIFICATE, actor="s_chair"):
    return certificate_issue(initiative=initiative, award=award, actor=users[actor], council=council)


def test_quota_for_finds_the_nearest_quota_above_the_unit(users, recognised):
    (i,) = recognised(1)
    quota = quota_for(initiative=i, award=Award.SECTOR_CERTIFICATE)
    assert quota.organisation.code == "NGANH" and quota.cap == 10
    assert quota_usage(quota=quota) == {"cap": 10, "used": 0, "remaining": 10}


def test_issue_creates_a_serial_audits_and_counts(users, recognised, sector_council):
    (i,) = recognised(1)
    c = issue(i, users, sector_council)
    year = timezone.localtime(c.issued_at).year
    assert c.serial == f"CN-LDST-{year}-0001"
    assert c.organisation.code == "NGANH" and c.council == sector_council
    assert c.recipients[0]["full_name"] == "Tác Giả Một"
    entry = AuditEntry.objects.filter(action="award", object_id=str(i.pk)).get()
    assert entry.details["serial"] == c.serial and entry.actor_name == "s_chair"
    assert quota_usage(quota=quota_for(initiative=i, award=Award.SECTOR_CERTIFICATE))["used"] == 1
    (row,) = awards_for(initiative=i)
    assert row["serial"] == c.serial and row["revoked"] is False
    assert row["verify_url"].endswith(f"/awards/verify/{c.serial}/")


def test_the_eleventh_sector_certificate_is_refused_and_nothing_is_written(users, recognised, sector_council):
    initiatives = recognised(11)
    for i in initiatives[:10]:
        issue(i, users, sector_council)
    audits = AuditEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        issue(initiatives[10], users, sector_council)
    assert e.value.code == "quota_exhausted"
    assert Certificate.objects.count() == 10
    assert not Certificate.objects.filter(initiative=initiatives[10]).exists()
    assert AuditEntry.objects.count() == audits


def test_a_target_quota_never_refuses(users, recognised, sector_council):
    Quota.objects.filter(award=Award.SECTOR_CERTIFICATE).update(cap=1, kind=Quota.Kind.TARGET)
    a, b = recognised(2)
    issue(a, users, sector_council)
    issue(b, users, sector_council)
    assert Certificate.objects.count() == 2


def test_serials_are_unique_per_award_type_and_year(users, recognised, sector_council, federation_council):
    a, b, c = recognised(3)
    s1 = issue(a, users, sector_council).serial
    s2 = issue(b, users, sector_council).serial
    f1 = issue(c, users, federation_council, award=Award.FEDERATION_CERTIFICATE, actor="f_chair").serial
    assert re.fullmatch(r"CN-LDST-\d{4}-0001", s1) and re.fullmatch(r"CN-LDST-\d{4}-0002", s2)
    assert re.fullmatch(r"B-LDST-\d{4}-0001", f1)
    assert len({s1, s2, f1}) == 3


def test_the_same_award_twice_is_refused(users, recognised, sector_council):
    (i,) = recognised(1)
    issue(i, users, sector_council)
    with pytest.raises(ApplicationError) as e:
        issue(i, users, sector_council)
    assert e.value.code == "already_awarded"


def test_an_unrecognised_or_rejected_initiative_is_refused(users, recognised, sector_council):
    a, b = recognised(2)
    Initiative.objects.filter(pk=a.pk).update(recognised_at=None)
    Initiative.objects.filter(pk=b.pk).update(state=State.REJECTED)
    for i in (a, b):
        with pytest.raises(ApplicationError) as e:
            issue(i, users, sector_council)
        assert e.value.code == "not_recognised"
    assert not Certificate.objects.exists()


def test_only_the_chair_or_secretary_of_the_council_may_issue(users, recognised, sector_council):
    (i,) = recognised(1)
    for actor in ("s_m1", "outsider", "c_chair"):
        with pytest.raises(PermissionDenied):
            issue(i, users, sector_council, actor=actor)
    assert issue(i, users, sector_council, actor="s_sec").serial
