"""Duplicate marks (issue 11, API.md §2): the advisory team and the councils record "duplicate of N"
or "not a duplicate"; refusals name what was wrong; a dossier standing marked a duplicate of an
earlier recognised one is not certified (409 ``duplicate``) until a later "not a duplicate"; the
marks show on both dossiers, never with a title the reader may not open."""

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from awards.models import Certificate
from initiatives.models import DuplicateMark, Initiative

pytestmark = pytest.mark.django_db

URL = "/api/v1/initiatives/{}/duplicate-marks/"


def _recognised(make_draft, **kw):
    iid = make_draft(**kw)["id"]
    Initiative.objects.filter(pk=iid).update(state="unit_council", recognised_at=timezone.now())
    return iid


def _mark(api, users, who, iid, expect=201, **body):
    r = api(users[who]).post(URL.format(iid), body, format="json")
    assert r.status_code == expect, (who, r.status_code, r.content)
    return r.json()


def test_refusals_name_what_was_wrong(api, users, make_draft):
    a = make_draft(title="Thiết bị cảnh báo quá nhiệt máy biến áp")["id"]
    b = make_draft(title="Cảnh báo quá nhiệt máy biến áp phân phối")["id"]
    other_unit = make_draft(user="author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}])
    # not the advisory team nor a council of the dossier: 403 (an author of it); cannot see it: 404
    r = _mark(api, users, "author1", b, expect=403, verdict="duplicate", of=a, comment="trùng")
    assert "tổ tư vấn" in r["detail"]
    _mark(api, users, "outsider", b, expect=404, verdict="duplicate", of=a, comment="trùng")
    # bad input, each named
    assert "of" in _mark(api, users, "u1_adv", b, expect=400, verdict="duplicate", of=999_999, comment="x")
    assert "of" in _mark(api, users, "u1_adv", b, expect=400, verdict="duplicate", of=b, comment="x")  # itself
    assert "of" in _mark(api, users, "u1_adv", b, expect=400, verdict="duplicate", of="abc", comment="x")
    assert "of" in _mark(api, users, "u1_adv", b, expect=400, verdict="duplicate", comment="x")
    # a dossier the adviser may not see is as unknown as one that does not exist
    r = _mark(api, users, "u1_adv", b, expect=400, verdict="duplicate", of=other_unit["id"], comment="x")
    assert list(r) == ["of"] or "of" in r
    assert "verdict" in _mark(api, users, "u1_adv", b, expect=400, verdict="maybe", of=a, comment="x")
    assert "comment" in _mark(api, users, "u1_adv", b, expect=400, verdict="duplicate", of=a)
    assert not DuplicateMark.objects.exists()
    assert not AuditEntry.objects.filter(action="duplicate_mark").exists()
    # "not a duplicate" needs no comment
    m = _mark(api, users, "u1_adv", b, verdict="not_duplicate", of=a)
    assert m["verdict"] == "not_duplicate" and m["of"]["id"] == a and m["standing"] is True


def test_a_duplicate_of_an_earlier_recognised_one_is_not_certified_until_lifted(flow, api, users, make_draft):
    earlier = _recognised(make_draft, title="Thiết bị cảnh báo quá nhiệt máy biến áp 110kV")
    later = flow.to_sector(title="Cảnh báo quá nhiệt cho máy biến áp 110kV")
    # a member of a council the dossier was before may mark it, but only against dossiers they see
    assert "of" in _mark(api, users, "c_m1", later, expect=400, verdict="duplicate", of=earlier, comment="x")
    _mark(api, users, "u2_chair", later, expect=404, verdict="duplicate", of=earlier, comment="x")
    # the unit's advisory team records it
    m = _mark(
        api,
        users,
        "u1_adv",
        later,
        verdict="duplicate",
        of=earlier,
        comment="Cùng giải pháp, nộp sau: trùng hồ sơ trước",
    )
    assert m["verdict"] == "duplicate" and m["by"]
    entry = AuditEntry.objects.filter(action="duplicate_mark", object_id=str(later)).get()
    assert entry.details == {"mark": m["id"], "verdict": "duplicate", "of": earlier}
    assert entry.comment.startswith("Cùng giải pháp") and entry.actor_name == "u1_adv"
    assert [h["action"] for h in flow.history("auditor_n", later)][-1] == "duplicate_mark"

    flow.vote("s_chair", later, "certify")
    flow.vote("s_m1", later, "certify")
    r = flow.act("s_chair", later, "close", expect=409)
    assert r["code"] == "duplicate" and str(earlier) in r["detail"]
    assert flow.state(later) == "sector_review" and not Certificate.objects.filter(initiative_id=later).exists()

    # the advisory team looks again: not a duplicate — the latest mark stands
    _mark(api, users, "u1_adv", later, verdict="not_duplicate", of=earlier, comment="Khác phạm vi áp dụng")
    flow.act("s_chair", later, "close")
    assert flow.state(later) == "sector_certified"
    assert DuplicateMark.objects.filter(initiative_id=later).count() == 2  # history kept
    marks = api(users["u1_adv"]).get(URL.format(later)).json()
    assert [x["verdict"] for x in marks] == ["not_duplicate", "duplicate"]
    assert [x["standing"] for x in marks] == [True, False]


def test_a_mark_against_a_later_one_or_an_unrecognised_one_does_not_block(flow, api, users, make_draft):
    later_draft = make_draft(title="Hồ sơ nộp sau chưa được công nhận")["id"]
    iid = flow.to_sector(title="Giải pháp đã qua hội đồng cấp tổng công ty")
    _mark(api, users, "u1_adv", iid, verdict="duplicate", of=later_draft, comment="trùng")
    flow.council_decides(iid, ["s_chair", "s_m1"], "certify", "s_chair")
    assert flow.state(iid) == "sector_certified"


def test_marks_show_on_both_dossiers_never_with_a_title_one_may_not_open(api, users, make_draft, client):
    a = make_draft(title="Cải tiến bộ gá thử nghiệm rơ le bảo vệ")["id"]
    b = make_draft(
        user="author1b",
        title="Bộ gá thử rơ le bảo vệ bí mật của tổ thí nghiệm",
        confidential=True,
        authors=[{"username": "author1b", "share_percent": 100}],
    )["id"]
    _mark(api, users, "u1_adv", b, verdict="duplicate", of=a, comment="Ghi chú nội bộ về hai bộ gá")

    # on A (its author may not open B): the mark, B as "a confidential dossier of unit XN1"
    assert api(users["author1"]).get(f"/api/v1/initiatives/{b}/").status_code == 404
    rows = api(users["author1"]).get(URL.format(a)).json()
    assert len(rows) == 1 and rows[0]["initiative"]["id"] == b
    assert rows[0]["initiative"]["title"] == "một hồ sơ bảo mật của đơn vị XN1"
    assert rows[0]["initiative"]["reference"] is None and rows[0]["comment"] == ""
    client.force_login(users["author1"])
    html = client.get(f"/initiatives/{a}/").content.decode()
    assert 'id="duplicate-marks"' in html and "một hồ sơ bảo mật của đơn vị XN1" in html
    assert "bí mật của tổ thí nghiệm" not in html and "Ghi chú nội bộ" not in html
    assert 'name="verdict"' not in html  # an author records no mark: no form

    # on B (its author may not open A): A without its title
    rows = api(users["author1b"]).get(URL.format(b)).json()
    assert rows[0]["of"]["title"] == "một hồ sơ của đơn vị XN1" and rows[0]["comment"] == ""
    # the adviser sees both, with titles and the comment, and the form
    rows = api(users["u1_adv"]).get(URL.format(b)).json()
    assert rows[0]["of"]["title"] == "Cải tiến bộ gá thử nghiệm rơ le bảo vệ"
    assert rows[0]["comment"] == "Ghi chú nội bộ về hai bộ gá"
    client.force_login(users["u1_adv"])
    html = client.get(f"/initiatives/{b}/").content.decode()
    assert 'name="verdict"' in html and "Cải tiến bộ gá thử nghiệm rơ le bảo vệ" in html
    # a dossier one may not see: 404 for its marks
    assert api(users["outsider"]).get(URL.format(b)).status_code == 404


def test_the_page_form_takes_a_typed_reference(api, users, make_draft, client):
    a = make_draft(title="Hệ thống giám sát dầu máy biến áp trực tuyến")
    b = make_draft(title="Giám sát trực tuyến dầu máy biến áp")["id"]
    Initiative.objects.filter(pk=a["id"]).update(reference="XN1-2022-0042")
    client.force_login(users["u1_adv"])
    r = client.post(
        f"/initiatives/{b}/duplicate-marks/",
        {"verdict": "duplicate", "of_typed": "XN1-2022-0042", "comment": "Cùng giải pháp"},
        follow=True,
    )
    html = r.content.decode()
    assert "Đã ghi kết luận về trùng lặp" in html and "XN1-2022-0042" in html
    assert DuplicateMark.objects.get().of_id == a["id"]
    r = client.post(f"/initiatives/{b}/duplicate-marks/", {"verdict": "duplicate", "of_typed": "NO-SUCH"}, follow=True)
    assert "Không có hồ sơ số NO-SUCH" in r.content.decode()
    r = client.post(f"/initiatives/{b}/duplicate-marks/", {"verdict": "duplicate", "of": str(a["id"])}, follow=True)
    assert "Cần ghi ý kiến khi kết luận hồ sơ trùng" in r.content.decode()
    assert DuplicateMark.objects.count() == 1
