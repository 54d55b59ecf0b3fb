"""The library's pages: the list with its search and filters, an entry with its adoptions and the
adopt form (for who may), the header link, the dossier page's other units."""

import pytest

from library.models import Adoption

pytestmark = pytest.mark.django_db


def test_the_library_page_searches_without_accents_and_hides_a_secret_benefit(client, users, recognised):
    a = recognised(title="Sáng kiến thay cầu chì tự rơi", benefit_value_vnd=85_000_000)
    recognised(title="Giải pháp bảo mật đo đếm điện năng", confidential=True, benefit_value_vnd=777_000_000)
    client.force_login(users["outsider"])
    r = client.get("/library/")
    html = r.content.decode()
    assert r.status_code == 200 and 'href="/library/"' in html  # the header's link, for everyone
    assert "Sáng kiến thay cầu chì tự rơi" in html and "85.000.000" in html
    assert "Giải pháp bảo mật đo đếm điện năng" in html and "777.000.000" not in html
    assert "Tác Giả Một" not in html  # never the authors
    html = client.get("/library/", {"q": "cau chi"}).content.decode()
    # found, the words highlighted (issue 11)
    assert "Sáng kiến thay <mark>cầu</mark> <mark>chì</mark> tự rơi" in html and "bảo mật đo đếm" not in html
    r = client.get("/library/", {"category": "magic"})
    assert r.status_code == 400 and 'id="lib-category-error"' in r.content.decode()
    assert f'href="/library/{a.pk}/"' in client.get("/library/").content.decode()


def test_an_officer_records_from_the_entry_page_and_the_dossier_shows_it(client, users, recognised):
    a = recognised()
    client.force_login(users["outsider"])  # may read, may not record: no form
    html = client.get(f"/library/{a.pk}/").content.decode()
    assert 'name="organisation"' not in html and "Chưa có đơn vị nào khác" in html
    r = client.post(f"/library/{a.pk}/adopt/", {"organisation": "XN3", "note": "thử"})
    assert r.status_code == 302 and not Adoption.objects.exists()  # refused by the action, said on the page
    client.force_login(users["officer_a"])
    html = client.get(f"/library/{a.pk}/").content.decode()
    assert '<option value="XN2">' in html and '<option value="XN1">' not in html  # not its own unit
    r = client.post(f"/library/{a.pk}/adopt/", {"organisation": "XN2", "note": "Áp dụng tại đội vận hành"}, follow=True)
    html = r.content.decode()
    assert "Đã ghi nhận Công đoàn Xí nghiệp 2 áp dụng" in html and "Áp dụng tại đội vận hành" in html
    r = client.post(f"/library/{a.pk}/adopt/", {"organisation": "XN2"}, follow=True)
    assert "đã được ghi nhận" in r.content.decode() and Adoption.objects.count() == 1
    client.force_login(users["author1"])
    html = client.get(f"/initiatives/{a.pk}/").content.decode()
    assert "Đơn vị khác áp dụng" in html and "Công đoàn Xí nghiệp 2" in html
    assert client.get("/library/999999/").status_code == 404
