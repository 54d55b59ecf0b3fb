"""Every persona's work through the pages alone, in headless Chromium (issue 9, "done when"): the
author drafts with two attachments, submits, reads the return and its reasons, fixes and resubmits;
the adviser returns and forwards; each council votes, sees what changed, closes and prints its
minutes, up to the federation's Bằng; the award committee picks the month's commendations and the
federation's chair revokes; the officer reads the dashboard, downloads the workbook and uploads a
register; the auditor follows the dossier's timeline, verifies the chain and downloads the CSV; the
admin opens the admin. Every page visited is photographed, checked at 375 px (no sideways scroll)
and by axe-core (no serious or critical violation). Then each persona's pages again in English."""

import re

import pytest

from councils.models import User
from initiatives.models import Initiative
from tests.browser.checks import look
from tests.workflow.files import PDF, image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "mat-khau-thu-nghiem"


@pytest.fixture
def people(structure):
    for u in User.objects.all():
        u.set_password(PASSWORD)
        u.email = f"{u.username}@example.org"
        u.save()


@pytest.fixture
def as_person(login):
    """as_person(username, lang) → a signed-in page that accepts every confirmation, recording it."""
    asked = []

    def go(username, lang="vi"):
        return login(username, PASSWORD, lang=lang, dialogs=asked, form=False)

    go.asked = asked
    return go


def _vote(page, url, decision, score="85"):
    page.goto(url)
    page.check(f"input[name=decision][value={decision}]")
    page.fill("#v-score", score)
    page.click("text=Gửi phiếu")
    assert "Đã ghi nhận phiếu" in page.content()


def test_every_persona_through_the_pages_in_vietnamese(people, as_person, live_server, tmp_path):
    site = live_server.url
    asked = as_person.asked

    # the author: a complete draft with two attachments, submitted
    author = as_person("author1")
    author.goto(f"{site}/initiatives/new/")
    look(author, "vi-author-new")
    author.fill("#f-title", "Ngắn")
    author.fill("#f-summary", "Cảnh báo sớm khi tủ điện hạ thế quá nhiệt.")
    author.click("main button.primary")
    assert "ít nhất 10 ký tự" in author.content()  # said beside the field, the input kept
    assert author.input_value("#f-summary") == "Cảnh báo sớm khi tủ điện hạ thế quá nhiệt."
    author.fill("#f-title", "Thiết bị cảnh báo quá nhiệt tủ điện hạ thế")
    author.fill("#f-problem", "Tủ điện hạ thế quá nhiệt không ai biết cho đến khi sự cố.")
    author.fill("#f-benefit", "120000000")
    author.fill("#f-applied", "2022-04-01")
    author.click("main button.primary")
    assert "Đã tạo bản nháp" in author.content()
    dossier = Initiative.objects.get(title="Thiết bị cảnh báo quá nhiệt tủ điện hạ thế")
    url = f"{site}/initiatives/{dossier.pk}/"
    for name, content in (("de-xuat.pdf", PDF), ("so-do.png", image("PNG"))):
        path = tmp_path / name
        path.write_bytes(content)
        author.set_input_files("#att-file", str(path))
        with author.expect_navigation():  # sent by the page's script with its progress bar, then reloaded
            author.click("#attachments button.primary")
        assert "Đã thêm tệp đính kèm" in author.content()
    assert author.locator("#attachments ul.attachments li").count() == 2
    look(author, "vi-author-draft", phone_shot=True)
    author.click("button[value=submit]")  # incomplete: refused, saying what is missing
    assert "Cần điền nội dung giải pháp trước khi nộp" in author.content()
    author.click("text=Sửa hồ sơ")
    author.fill("#f-solution", "Gắn cảm biến nhiệt và còi báo trong từng tủ.")
    author.click("main button.primary")
    author.goto(url)
    author.click("button[value=submit]")
    assert "Nộp hồ sơ cho tổ tư vấn" in asked[-1] and "Tổ tư vấn xem xét" in author.content()

    # the adviser finds it in the inbox and returns it with a reason
    adviser = as_person("u1_adv")
    adviser.goto(f"{site}/tasks/")
    look(adviser, "vi-adviser-tasks")
    adviser.click(f"text={dossier.reference}")
    look(adviser, "vi-adviser-dossier")
    adviser.fill("#c-return", "Bổ sung kết quả đo nhiệt thực tế")
    adviser.click("button[value=return]")

    # the author reads why, fixes and resubmits
    author.goto(url)
    content = author.content()
    assert "Hồ sơ bị trả lại" in content and "Bổ sung kết quả đo nhiệt thực tế" in content
    look(author, "vi-author-returned", phone_shot=True)
    author.click("#returned >> text=Sửa hồ sơ")
    author.fill("#f-solution", "Gắn cảm biến nhiệt, còi báo và bảng số liệu đo trong từng tủ.")
    author.click("main button.primary")
    author.goto(url)
    author.click("button[value=submit]")

    # the adviser forwards to the unit council, saying where and until when
    adviser.goto(url)
    adviser.click("button[value=forward]")
    assert "Hồ sơ sẽ chuyển đến" in asked[-1]

    # the unit council: two members vote, the chair sees what changed, votes, closes, prints
    for member in ("u1_sec", "u1_m1"):
        _vote(as_person(member), url, "approve")
    chair = as_person("u1_chair")
    chair.goto(f"{site}/tasks/")
    look(chair, "vi-unit-chair-tasks")
    chair.goto(url)
    assert "Thay đổi từ phiên bản 1 sang phiên bản 2" in chair.content()
    assert chair.locator("#changes ins").count() >= 1
    look(chair, "vi-unit-chair-dossier", phone_shot=True)
    _vote(chair, url, "approve")
    assert chair.locator("button[value=restart]").count() == 0  # voiding the votes is not offered next to close
    chair.click("button[value=close]")
    assert "Kết thúc phiên xét?" in asked[-1]
    assert "Hội đồng quyết định «Công nhận, chuyển cấp trên»" in chair.content()

    def minutes(page):
        href = page.locator("#sessions a[href$='minutes.pdf']").last.get_attribute("href")
        r = page.request.get(f"{site}{href}")
        assert r.status == 200 and r.headers["content-type"] == "application/pdf"

    minutes(chair)

    # the corporation, sector and federation councils, each closing and printing its minutes
    for members, closer, decision, after in (
        (("c_m1",), "c_chair", "approve", "Hội đồng cấp ngành"),
        (("s_sec",), "s_chair", "nominate", "Hội đồng Tổng Liên đoàn"),
        (("f_m1",), "f_chair", "certify", "Bằng Lao động sáng tạo"),
    ):
        for member in members:
            _vote(as_person(member), url, decision)
        page = as_person(closer)
        _vote(page, url, decision)
        look(page, f"vi-{closer}-dossier")
        page.click("button[value=close]")
        assert after in page.content(), closer
        minutes(page)
    dossier.refresh_from_db()
    assert dossier.state == "federation_certified"
    look(page, "vi-federation-certified")
    bang = page.locator("a[href*='/awards/certificates/'][href$='.pdf']").first.get_attribute("href")
    assert page.request.get(f"{site}{bang}").status == 200

    # the award committee picks this month's commendations
    committee = as_person("s_chair")
    committee.goto(f"{site}/awards/")
    look(committee, "vi-committee", phone_shot=True)
    committee.check(f"#pick-{dossier.pk}")
    committee.click("text=Chọn biểu dương")
    assert "Đã chọn 1 sáng kiến biểu dương." in committee.content()
    assert "Biểu dương các sáng kiến đã đánh dấu" in asked[-1]

    # the officer: dashboard, the monthly workbook, a register with a bad row
    officer = as_person("officer_a")
    officer.goto(f"{site}/reports/")
    look(officer, "vi-officer-dashboard", phone_shot=True)
    with officer.expect_download() as download:
        officer.click("#monthly-workbook button")
    assert download.value.suggested_filename.endswith(".xlsx")
    officer.goto(f"{site}/imports/")
    look(officer, "vi-officer-import")
    from tests.reports.test_import import register

    bad = register(tmp_path, [["", "Ngắn", "XN1", "technical", "author1", 1, None, "2022-02-01", None]])
    officer.set_input_files("#i-file", str(bad))
    officer.click("main form button.primary")
    assert '<td data-label="Dòng">2</td>' in officer.content() and "chưa nhập gì" in officer.content()
    look(officer, "vi-officer-import-report")

    # the auditor: the dossier's timeline, the chain verified, the CSV
    auditor = as_person("auditor_n")
    auditor.goto(f"{site}/audit/?initiative={dossier.pk}")
    look(auditor, "vi-auditor-timeline", phone_shot=True)
    assert auditor.locator("table.trail tbody tr").count() >= 10
    auditor.click("button[value=verify]")
    assert "Chuỗi nguyên vẹn" in auditor.content()
    with auditor.expect_download() as download:
        auditor.click("text=Tải CSV")
    assert download.value.suggested_filename.endswith(".csv")

    # the federation's chair revokes the Bằng, with a reason
    revoker = as_person("f_chair")
    revoker.goto(url)
    revoker.click("text=Thu hồi…")
    look(revoker, "vi-revoke")
    revoker.fill("#r-reason", "Phát hiện trùng với sáng kiến đã được công nhận năm 2021")
    revoker.click("main form button.primary")
    assert "Đã thu hồi" in revoker.content() and "(đã thu hồi)" in revoker.content()

    # the admin
    admin = as_person("admin_n")
    admin.goto(f"{site}/admin/")
    look(admin, "vi-admin", phone=False)  # Django's own admin: its layout is Django's
    assert admin.locator("#content").count() == 1

    # the notifications everyone received on the way
    author.goto(f"{site}/notifications/")
    look(author, "vi-author-notifications")
    assert "Kết quả xét" in author.content()


ENGLISH_TOURS = {
    "author1": ["/", "/tasks/", "/initiatives/", "/initiatives/new/", "/notifications/", "/help/", "/awards/"],
    "u1_adv": ["/tasks/", "/initiatives/"],
    "u1_chair": ["/tasks/", "/initiatives/?due=overdue"],
    "s_chair": ["/awards/"],
    "officer_a": ["/reports/", "/imports/"],
    "auditor_n": ["/audit/"],
    "c_chair": ["/tasks/"],
    "f_chair": ["/tasks/", "/notifications/"],
    "admin_n": ["/admin/"],
}
VIETNAMESE_CHROME = ("Việc cần làm", "Đăng xuất", "Hướng dẫn", "Thông báo", "Lọc", "Tải lên")


def test_every_persona_in_english(people, as_person, live_server, flow):
    """Each persona's pages in English: no Vietnamese interface words left, the same checks; a
    refusal answered in English too."""
    site = live_server.url
    iid = flow.to_unit_council()
    flow.vote("u1_sec", iid, "approve", score=80)
    axed = set()  # axe once per page (and on the dossier for the chair, who sees the ballot)
    for username, paths in ENGLISH_TOURS.items():
        page = as_person(username, lang="en")
        for path in [*paths, f"/initiatives/{iid}/"] if username != "admin_n" else paths:
            r = page.goto(f"{site}{path}")
            assert r.status in (200, 404), (username, path, r.status)
            if r.status == 404:  # a dossier this person may not see
                continue
            assert page.locator("html").get_attribute("lang") == "en", (username, path)
            if path.startswith("/admin/"):  # Django's admin, in English: its own layout
                assert "Quản trị chương trình sáng kiến" not in page.content(), "the admin in Vietnamese"
                look(page, "en-admin_n-admin", phone=False, axe=False)
                continue
            chrome = page.locator("header").inner_text() + " " + page.locator("main h1").first.inner_text()
            left = [w for w in VIETNAMESE_CHROME if re.search(rf"\b{w}\b", chrome)]
            assert not left, (username, path, left)
            first = path.split("?")[0] not in axed or (username == "u1_chair" and str(iid) in path)
            axed.add(path.split("?")[0])
            look(page, f"en-{username}-{path.strip('/').replace('/', '-').replace('?', '-') or 'home'}", axe=first)
    # a refusal speaks English: a vote without its reason
    chair = as_person("u1_chair", lang="en")
    chair.goto(f"{site}/initiatives/{iid}/")
    chair.check("input[name=decision][value=reject]")
    chair.click("fieldset button.primary")
    error = chair.locator("#v-comment-error").inner_text()
    assert error and not re.search(r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]", error), error
