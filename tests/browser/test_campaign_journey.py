"""An officer's journey in headless Chromium (issue 10): a look at the library, then a campaign to
the members without an initiative — how many it will reach, sent, its result."""

import pytest

from councils.models import User
from initiatives.models import Initiative
from tests.browser.checks import look

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_reads_the_library_then_sends_a_campaign_and_sees_its_result(
    structure, login, live_server, make_draft, mailoutbox
):
    for u in User.objects.all():
        u.email = f"{u.username}@example.org"
        u.set_password("mat-khau-thu-nghiem")
        u.save()
    d = make_draft("author1", title="Sáng kiến thay cầu chì tự rơi không cần cắt điện")
    Initiative.objects.filter(pk=d["id"]).update(state="unit_council", recognised_at="2025-01-15T09:00:00Z")
    expected = User.objects.filter(organisation__code__in=["TCTA", "XN1", "XN2"]).exclude(username="author1").count()

    dialogs = []
    page = login("officer_a", dialogs=dialogs)
    page.click("header nav >> text=Thư viện")
    page.fill("#lib-q", "cau chi")
    page.click("form.library-filters button.primary")
    page.wait_for_load_state()
    assert "Sáng kiến thay cầu chì tự rơi" in page.inner_text("table.library")
    look(page, "library")

    page.click("header nav >> text=Vận động")
    page.click("text=Tạo chiến dịch mới")
    page.wait_for_load_state()
    assert f"Thư sẽ gửi tới {expected} người" in page.inner_text("#reach")
    page.fill("#c-subject", "Mời đoàn viên tham gia viết sáng kiến")
    page.fill("#c-message", "Chương trình 01 triệu sáng kiến đang chờ ý tưởng của bạn.")
    page.click("form.campaign-form button.primary")
    page.wait_for_load_state()
    assert dialogs and str(expected) in dialogs[0]
    assert page.inner_text("#campaign-state") == "Đã gửi xong"
    assert page.inner_text("#c-sent") == str(expected) and page.inner_text("#c-failed") == "0"
    look(page, "campaign-result")
    assert len(mailoutbox) == expected and all(len(m.to) == 1 for m in mailoutbox)
