"""Where a dossier stands (issue 9, build 3: the stepper on the detail page — the stage, who holds
it, until when, where it ended) and what changed since its last submission (build 2: fields with
their words marked, files added and removed), read through the detail page."""

import re

import pytest

from .files import PDF
from .test_attachments import upload

pytestmark = pytest.mark.django_db


def _page(client, user, iid):
    client.force_login(user)
    r = client.get(f"/initiatives/{iid}/")
    assert r.status_code == 200
    return r.content.decode()


def _steps(html):
    """[(status, label)] of the stepper, in order."""
    nav = html.split('<nav class="stepper"', 1)[1].split("</nav>", 1)[0]
    return [
        (status, label.strip())
        for status, label in re.findall(r'<li class="step (\w+)".*?<span class="label">([^<]+)</span>', nav, re.S)
    ]


def test_a_draft_is_with_its_authors(flow, client, users):
    html = _page(client, users["author1"], flow.draft())
    steps = _steps(html)
    assert steps[0] == ("current", "Bản nháp") and all(s == "todo" for s, _ in steps[1:]) and len(steps) == 6
    assert "các tác giả" in html and 'aria-current="step"' in html


def test_before_the_unit_council_with_its_name_and_due_date(flow, client, users):
    from initiatives.models import Initiative

    iid = flow.to_unit_council()
    html = _page(client, users["author1"], iid)
    assert [s for s, _ in _steps(html)] == ["done", "done", "current", "todo", "todo", "todo"]
    from django.utils import timezone

    due = timezone.localtime(Initiative.objects.get(pk=iid).due_at)  # the page shows Vietnam's date
    assert re.search(rf'<span class="where">XN1-HD · hạn {due:%d/%m/%Y}</span>', html), html.split("stepper")[1][:800]


def test_rejected_shows_where_it_ended(flow, client, users):
    iid = flow.to_unit_council()
    flow.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "reject", "u1_chair")
    steps = _steps(_page(client, users["author1"], iid))
    assert steps[2] == ("ended", "Hội đồng cấp đơn vị") and [s for s, _ in steps[3:]] == ["todo"] * 3


def test_a_sector_certificate_ends_the_ladder_at_the_sector(flow, client, users):
    iid = flow.to_sector()
    flow.council_decides(iid, ["s_chair", "s_sec"], "certify", "s_chair")
    steps = _steps(_page(client, users["author1"], iid))
    assert [s for s, _ in steps] == ["done", "done", "done", "done", "certified"]


def test_the_council_sees_what_changed_since_the_last_submission(flow, client, users, api):
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    assert "Thay đổi từ phiên bản" not in _page(client, users["u1_adv"], iid)  # one version: nothing to compare
    flow.act("u1_adv", iid, "return", comment="Bổ sung cách đo")
    author = api(users["author1"])
    r = author.patch(
        f"/api/v1/initiatives/{iid}/",
        {"solution": "Dùng bảng kiểm số hóa và camera nhiệt <script>alert(1)</script>", "category": "management"},
        format="json",
    )
    assert r.status_code == 200
    upload(api, users["author1"], iid, "ket-qua-do.pdf", PDF, kind="evidence")
    flow.act("author1", iid, "submit")
    html = _page(client, users["u1_adv"], iid)
    assert "Thay đổi từ phiên bản 1 sang phiên bản 2" in html
    changes = html.split('id="changes"', 1)[1].split("</div>", 1)[0]
    assert "<dt>Nội dung giải pháp</dt>" in changes
    assert (
        "<del>cảm biến nhiệt.</del>" in changes
        and "<ins>camera nhiệt &lt;script&gt;alert(1)&lt;/script&gt;</ins>" in changes
    )
    # a choice whole, by its label, never its code
    assert "<dt>Lĩnh vực</dt><dd><del>Giải pháp kỹ thuật" in changes and "technical" not in changes
    assert "<ins>ket-qua-do.pdf</ins>" in changes
    assert "<script>alert(1)</script>" not in html
    # who may not see the dossier's content sees no changes either
    from initiatives.models import Initiative

    Initiative.objects.filter(pk=iid).update(confidential=True)
    assert 'id="changes"' not in _page(client, users["officer_a"], iid)


def test_a_return_points_to_the_parts_to_fix_and_the_form_shows_them(flow, client, users, api):
    """Build 3: the reasons at the top, next to the fields they concern, and in the inbox."""
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    client.force_login(users["u1_adv"])
    html = client.get(f"/initiatives/{iid}/").content.decode()
    assert 'name="fields" value="solution"' in html and "Phần cần sửa (không bắt buộc)" in html
    r = client.post(
        f"/initiatives/{iid}/act/return/",
        {"comment": "Nêu rõ cách đo và giá trị làm lợi", "fields": ["solution", "benefit_value_vnd"]},
    )
    assert r.status_code == 302
    entry = flow.history("u1_adv", iid)[-1]
    assert entry["action"] == "return" and entry["details"] == {"fields": ["solution", "benefit_value_vnd"]}
    html = _page(client, users["author1"], iid)
    assert "Phần cần sửa:</b> Nội dung giải pháp, Giá trị làm lợi (VND/năm)" in html
    assert "bị trả lại" in client.get("/tasks/").content.decode()
    form = client.get(f"/initiatives/{iid}/edit/").content.decode()
    assert "Ý kiến khi trả lại" in form and "Nêu rõ cách đo và giá trị làm lợi" in form
    notes = re.findall(r'id="f-(\w+)".*?(?=<label|</form>)', form, re.S)
    flagged = [
        name for name in notes if 'class="returned-note"' in form.split(f'id="f-{name}"', 1)[1].split("<label", 1)[0]
    ]
    assert flagged == ["solution", "benefit"], flagged


def test_the_api_names_the_parts_and_refuses_unknown_ones(flow, api, users):
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    adviser = api(users["u1_adv"])
    url = f"/api/v1/initiatives/{iid}/actions/return/"
    r = adviser.post(url, {"comment": "Sửa", "fields": ["solution", "mật khẩu"]}, format="json")
    assert r.status_code == 400 and "mật khẩu" in r.json()["fields"][0] and flow.state(iid) == "advisory_review"
    r = adviser.post(
        f"/api/v1/initiatives/{iid}/actions/forward/",
        {"fields": ["solution"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code == 400 and "return" in r.json()["fields"][0] and flow.state(iid) == "advisory_review"
    r = adviser.post(url, {"comment": "Sửa", "fields": ["attachments", "title", "title"]}, format="json")
    assert r.status_code == 200
    assert flow.history("author1", iid)[-1]["details"] == {"fields": ["title", "attachments"]}
