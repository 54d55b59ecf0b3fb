"""The monthly workbook against the API's figures; the beat task e-mails it."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from councils.models import User
from reports.tasks import send_monthly_reports

pytestmark = pytest.mark.django_db


def _workbook(api, user, month, org):
    r = api(user).get(f"/api/v1/reports/monthly/{month}.xlsx?organisation={org}")
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(r.content))


def test_the_workbook_agrees_with_the_api(random_initiatives, report_structure, api):
    officer = report_structure["officer_a"]
    wb = _workbook(api, officer, "2022-07", "TCTA")
    assert wb.sheetnames == ["Tổng hợp", "Danh sách sáng kiến"]
    ws = wb["Tổng hợp"]
    headers = [c.value for c in ws[1]]
    assert headers[:10] == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Đăng ký trong tháng",
        "Lũy kế đăng ký",
        "Chỉ tiêu",
        "% chỉ tiêu",
        "Số tác giả (lũy kế)",
        "Số đoàn viên",
        "Tỷ lệ tham gia",
        "Giá trị làm lợi (VND)",
    ]
    assert ws.freeze_panes == "A2" and ws.column_dimensions["B"].width >= 30
    sheet = {row[0]: dict(zip(headers, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)}
    assert list(sheet) == ["XN1", "XN2", "TCTA"]  # the children, then the total
    cumulative = {
        r["organisation"]: r
        for r in api(officer).get("/api/v1/reports/progress/?organisation=TCTA&until=2022-07-31").json()["results"]
    }
    month = {
        r["organisation"]: r
        for r in api(officer)
        .get("/api/v1/reports/progress/?organisation=TCTA&until=2022-07-31&phase=B")
        .json()["results"]
    }
    for code, row in sheet.items():
        api_row = cumulative[code]
        assert row["Lũy kế đăng ký"] == api_row["registered"]
        assert row["Chỉ tiêu"] == api_row["target"]
        pct = api_row["percent_of_target"]
        assert row["% chỉ tiêu"] == (None if pct is None else pytest.approx(pct / 100))
        assert row["Số tác giả (lũy kế)"] == api_row["authors"]
        assert row["Số đoàn viên"] == api_row["headcount"]
        part = api_row["participation_percent"]
        assert row["Tỷ lệ tham gia"] == (None if part is None else pytest.approx(part / 100))
        assert row["Giá trị làm lợi (VND)"] == api_row["benefit_value_vnd"]
        # phase B starts on 1 June: June + July; the month column can be no more than that
        assert row["Đăng ký trong tháng"] <= month[code]["registered"]
        by_category = sum(row[h] for h in headers[10:])
        assert by_category == api_row["registered"]
    # the month's own registrations, counted independently
    first, last = datetime.date(2022, 7, 1), datetime.date(2022, 7, 31)
    in_july = [
        r
        for r in random_initiatives
        if r["org"] in {"TCTA", "XN1", "XN2", "TO1"}
        and r["submitted"]
        and first <= r["submitted"] <= last
        and r["state"] != "withdrawn"
    ]
    assert sheet["TCTA"]["Đăng ký trong tháng"] == len(in_july)
    formats = {c.column_letter: c.number_format for c in ws[2]}
    assert formats["J"] == "#,##0" and formats["F"] == "0.0%" and formats["I"] == "0.0%"
    listing = wb["Danh sách sáng kiến"]
    assert [c.value for c in listing[1]][:3] == ["Số hồ sơ", "Tên sáng kiến", "Đơn vị"]
    assert listing.max_row - 1 == len(in_july)
    assert listing.freeze_panes == "A2"
    assert sum(r[5] for r in listing.iter_rows(min_row=2, values_only=True)) == sum(r["benefit"] for r in in_july)


def test_bad_month_and_permissions(report_structure, api):
    officer = report_structure["officer_a"]
    assert api(officer).get("/api/v1/reports/monthly/2022-13.xlsx?organisation=TCTA").status_code == 400
    assert api(officer).get("/api/v1/reports/monthly/2022-07.xlsx").status_code == 400
    assert api(officer).get("/api/v1/reports/monthly/2022-07.xlsx?organisation=TCTB").status_code == 403


def test_the_beat_task_mails_each_union_and_its_parent(random_initiatives, report_structure, mailoutbox):
    User.objects.filter(username="officer_a").update(email="officer_a@example.org")
    User.objects.filter(username="officer_x1").update(email="officer_x1@example.org")
    assert send_monthly_reports(month="2022-07") == 2  # TCTA (corporation) and XN1 (unit) have officers
    assert len(mailoutbox) == 2
    by_subject = {m.subject: m for m in mailoutbox}
    xn1 = next(m for s, m in by_subject.items() if "Xí nghiệp 1" in s)
    assert xn1.to == ["officer_x1@example.org"] and xn1.cc == ["officer_a@example.org"]
    name, content, mimetype = xn1.attachments[0]
    assert name == "bao-cao-sang-kien-XN1-2022-07.xlsx" and mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["Tổng hợp", "Danh sách sáng kiến"]
    tcta = next(m for s, m in by_subject.items() if "Tổng công ty A" in s)
    assert tcta.to == ["officer_a@example.org"] and tcta.cc == []


def test_without_a_month_the_task_reports_the_previous_one(report_structure, mailoutbox, monkeypatch):
    from reports import actions

    User.objects.filter(username="officer_a").update(email="officer_a@example.org")
    assert actions.previous_month(datetime.date(2023, 1, 1)) == (2022, 12)
    send_monthly_reports()
    assert mailoutbox and all("/" in m.subject for m in mailoutbox)


def test_the_month_list_holds_a_freshly_submitted_initiative(api, users, make_draft):
    """Regression: category and state labels are lazy translations; the workbook must write text."""
    import io

    from django.utils import timezone
    from openpyxl import load_workbook

    d = make_draft("author1", title="Sáng kiến nộp trong tháng này")
    r = api(users["author1"]).post(f"/api/v1/initiatives/{d['id']}/actions/submit/", {}, format="json")
    assert r.status_code == 200
    month = timezone.localdate().strftime("%Y-%m")
    r = api(users["officer_a"]).get(f"/api/v1/reports/monthly/{month}.xlsx", {"organisation": "TCTA"})
    assert r.status_code == 200, r.content[:300]
    wb = load_workbook(io.BytesIO(r.content))
    rows = [[c for c in row if c is not None] for row in wb.worksheets[1].iter_rows(values_only=True)]
    flat = [str(c) for row in rows for c in row]
    assert "Sáng kiến nộp trong tháng này" in flat
    assert "Giải pháp kỹ thuật, ứng dụng công nghệ mới" in flat and "Tổ tư vấn xem xét" in flat
