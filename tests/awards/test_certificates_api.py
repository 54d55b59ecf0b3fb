import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from awards.actions import certificate_issue
from awards.models import Award, Certificate
from initiatives.models import Initiative, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(users, recognised, sector_council):
    (i,) = recognised(
        1,
        title="Sáng kiến thiết bị đo nhiệt độ đường dây",
        authors=[
            {"username": "author1", "share_percent": 60},
            {"full_name": "Nguyễn Thị Ngọc Ánh", "share_percent": 40},
        ],
    )
    return certificate_issue(
        initiative=i, award=Award.SECTOR_CERTIFICATE, actor=users["s_chair"], council=sector_council
    )


def test_quotas_list_shows_use_and_period(api, users, recognised, certificate):
    r = api(users["outsider"]).get("/api/v1/quotas/")
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"count", "next", "previous", "results"}
    rows = {row["award"]: row for row in body["results"]}
    assert rows["sector_certificate"] == {
        "award": "sector_certificate",
        "organisation": "NGANH",
        "period": "T-PROG",
        "kind": "cap",
        "cap": 10,
        "used": 1,
        "remaining": 9,
        # a cap reads as used/remaining (a target as progress: tests/awards/test_quota_kinds.py)
        "reading": "used_remaining",
        "progress_percent": 10,
        "to_goal": None,
        "reached": False,
        "over_by": 0,
        "amount_vnd": 0,
    }
    assert rows["monthly_commendation"]["period"] == f"{timezone.localdate():%Y-%m}"
    r = api(users["outsider"]).get("/api/v1/quotas/", {"month": "2025-03"})
    assert {row["award"]: row for row in r.json()["results"]}["monthly_commendation"]["period"] == "2025-03"
    assert api(users["outsider"]).get("/api/v1/quotas/", {"month": "2025-3x"}).status_code == 400
    assert api(users["outsider"]).get("/api/v1/quotas/", {"organisation": "NOPE"}).status_code == 400
    assert api(users["outsider"]).get("/api/v1/quotas/", {"organisation": "XN1"}).json()["count"] == 3
    assert api().get("/api/v1/quotas/").status_code == 401


def test_certificates_are_listed_to_those_who_may_see_them(api, users, certificate):
    for who in ("author1", "officer_x1", "auditor_n", "s_m1"):
        r = api(users[who]).get("/api/v1/certificates/")
        assert [c["serial"] for c in r.json()["results"]] == [certificate.serial], who
    for who in ("outsider", "author2", "auditor_b"):
        assert api(users[who]).get("/api/v1/certificates/").json()["count"] == 0, who
        assert api(users[who]).get(f"/api/v1/certificates/{certificate.serial}/").status_code == 404
    row = api(users["author1"]).get(f"/api/v1/certificates/{certificate.serial}/").json()
    assert row["award"] == "sector_certificate" and row["council"] == "NGANH-HD" and row["revoked"] is False


def test_revoke_through_the_api(api, users, certificate):
    url = f"/api/v1/certificates/{certificate.serial}/revoke/"
    r = api(users["s_chair"]).post(url, {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = api(users["s_m1"]).post(url, {"reason": "Sai"}, format="json")
    assert r.status_code == 403
    assert api(users["outsider"]).post(url, {"reason": "Sai"}, format="json").status_code == 404
    assert (
        api(users["s_chair"]).post("/api/v1/certificates/CN-LDST-1999-9999/revoke/", {"reason": "x"}).status_code == 404
    )
    r = api(users["s_chair"]).post(url, {"reason": "Phát hiện trùng lặp"}, format="json")
    assert r.status_code == 200 and r.json()["revoked"] is True
    r = api(users["s_chair"]).post(url, {"reason": "Lần hai"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "already_revoked"


def test_the_pdf_carries_vietnamese_text_intact(client, users, certificate):
    client.force_login(users["author1"])
    r = client.get(f"/awards/certificates/{certificate.serial}.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    assert "CHỨNG NHẬN LAO ĐỘNG SÁNG TẠO" in text
    assert "Nguyễn Thị Ngọc Ánh" in text and "Tác Giả Một" in text
    assert "Sáng kiến thiết bị đo nhiệt độ đường dây" in text
    assert certificate.serial in text
    assert f"/awards/verify/{certificate.serial}/" in text
    # an official document of the sector union: its name, the decision number and date, who signs
    assert "CÔNG ĐOÀN NGÀNH THỬ" in text and f"Số: {certificate.serial}/QĐ-NGANH" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "TM. CÔNG ĐOÀN NGÀNH THỬ" in text and "CHỦ TỊCH HỘI ĐỒNG" in text and "Chủ Tịch Ngành" in text
    issued = timezone.localtime(certificate.issued_at)
    assert f"Ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}" in text


def test_the_bang_is_issued_in_the_federations_name_in_vietnamese_only(
    client, users, recognised, federation_council, settings
):
    settings.LANGUAGE_CODE = "en"  # whatever the interface speaks, the document is Vietnamese
    (i,) = recognised(1, state=State.FEDERATION_REVIEW, title="Sáng kiến hệ thống cảnh báo sét trạm biến áp")
    bang = certificate_issue(
        initiative=i, award=Award.FEDERATION_CERTIFICATE, actor=users["f_chair"], council=federation_council
    )
    assert bang.organisation.code == "NGANH"  # it counts against the sector's quota of Bằng ...
    client.force_login(users["author1"])
    r = client.get(f"/awards/certificates/{bang.serial}.pdf", HTTP_ACCEPT_LANGUAGE="en")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    # ... and is issued by the federation, signed by its council's chair
    assert "BẰNG LAO ĐỘNG SÁNG TẠO" in text and "TỔNG LIÊN ĐOÀN" in text and "/QĐ-TLD" in text
    assert "TM. TỔNG LIÊN ĐOÀN" in text and "Chủ Tịch TLĐ" in text
    assert "CÔNG ĐOÀN NGÀNH THỬ" not in text
    for english in ("Awarded", "Issued", "Serial", "Verify", "REVOKED", "certificate"):
        assert english not in text, english
    page = client.get(f"/awards/verify/{bang.serial}/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Tổng Liên đoàn" in page and "Công đoàn ngành Thử" not in page


def test_the_pdf_is_for_authorised_users_only(client, users, certificate):
    url = f"/awards/certificates/{certificate.serial}.pdf"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(users["outsider"])
    assert client.get(url).status_code == 404
    client.force_login(users["s_m1"])
    assert client.get(url).status_code == 200
    assert client.get("/awards/certificates/CN-LDST-2020-0999.pdf").status_code == 404


def test_the_public_verify_page(client, users, certificate):
    r = client.get(f"/awards/verify/{certificate.serial}/")
    assert r.status_code == 200
    page = r.content.decode()
    assert certificate.serial in page and "Sáng kiến thiết bị đo nhiệt độ đường dây" in page
    assert "Nguyễn Thị Ngọc Ánh" in page and "Còn hiệu lực" in page
    r = client.get("/awards/verify/CN-LDST-2026-9999/")
    assert r.status_code == 404
    assert (
        "Không tìm thấy chứng nhận với số hiệu này" in r.content.decode() and "CN-LDST-2026-9999" in r.content.decode()
    )
    r = client.get("/awards/verify/forged<script>/")
    assert r.status_code == 404 and "<script>" not in r.content.decode().split('id="not-found"')[1]
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=timezone.now(), revoke_reason="x")
    assert "ĐÃ THU HỒI" in client.get(f"/awards/verify/{certificate.serial}/").content.decode()


def test_the_verify_page_of_a_confidential_initiative_shows_only_the_title(client, users, certificate):
    Initiative.objects.filter(pk=certificate.initiative_id).update(confidential=True)
    page = client.get(f"/awards/verify/{certificate.serial}/").content.decode()
    assert "Sáng kiến thiết bị đo nhiệt độ đường dây" in page
    assert "Nguyễn Thị Ngọc Ánh" not in page and "Công đoàn Xí nghiệp 1" not in page
