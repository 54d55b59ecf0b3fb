"""import_initiatives: all rows or nothing; the demo register reproduces the seeds' figures."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from audit.models import AuditEntry
from initiatives.imports import ImportRefused, initiatives_import
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

HEADERS = [
    "Số hồ sơ",
    "Tên sáng kiến",
    "Mã đơn vị",
    "Lĩnh vực",
    "Tác giả",
    "Giá trị làm lợi (VND)",
    "Ngày áp dụng",
    "Ngày đăng ký",
    "Ngày công nhận",
]


def register(tmp_path, rows, name="register.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def test_a_good_register_is_imported_with_states_councils_and_audit(report_structure, tmp_path, api):
    path = register(
        tmp_path,
        [
            [
                "REG-1",
                "Cải tiến dụng cụ đo điện trở",
                "XN1",
                "technical",
                "author1:60; Người Ngoài:40",
                90_000_000,
                datetime.date(2022, 1, 5),
                datetime.date(2022, 2, 1),
                None,
            ],
            [
                None,
                "Quy trình tiếp nhận hồ sơ điện tử",
                "XN1",
                "Quản lý, tổ chức sản xuất",
                "author1b",
                "1.500.000",
                "01/01/2022",
                "15/02/2022",
                "20/03/2022",
            ],
            [
                None,
                "Mô hình sinh hoạt công đoàn trực tuyến",
                "XN3",
                "union",
                "author3; Khách Mời",
                0,
                None,
                "2022-07-01",
                "2022-08-01",
            ],
        ],
    )
    assert initiatives_import(path=path, actor=report_structure["admin_n"]) == 3
    first = Initiative.objects.get(reference="REG-1")
    assert first.state == "advisory_review" and first.council is None and first.recognised_at is None
    assert [(a.user.username if a.user else None, a.full_name, int(a.share_percent)) for a in first.authors.all()] == [
        ("author1", "Tác Giả Một", 60),
        (None, "Người Ngoài", 40),
    ]
    second = Initiative.objects.get(title__startswith="Quy trình")
    assert second.category == "management" and second.benefit_value_vnd == 1_500_000
    assert second.state == "corporation_council" and second.council.code == "TCTA-HD"  # stage after the unit council
    assert second.recognised_at.date() == datetime.date(2022, 3, 20)
    assert second.due_at.date() == datetime.date(2022, 3, 20) + datetime.timedelta(days=90)
    third = Initiative.objects.get(organisation__code="XN3")
    assert third.state == "sector_review" and third.council.code == "NGANH-HD"  # TCTB keeps no council
    assert [int(a.share_percent) for a in third.authors.all()] == [50, 50]
    assert AuditEntry.objects.filter(action="import").count() == 3
    rows = {
        r["organisation"]: r
        for r in api(report_structure["auditor_n"]).get("/api/v1/reports/progress/?phase=A").json()["results"]
    }
    assert rows["XN1"]["registered"] == 2 and rows["XN1"]["recognised"] == 1 and rows["XN1"]["authors"] == 3


def test_a_bad_register_writes_nothing_and_names_every_refused_row(report_structure, tmp_path, capsys):
    path = register(
        tmp_path,
        [
            ["R-OK", "Một sáng kiến hoàn toàn hợp lệ", "XN1", "technical", "author1", 0, None, "2022-01-10", None],
            ["R-BAD", "Ngắn", "NOPE", "cooking", "author1:70; author2:20", -5, None, "31/02/2022", None],
            ["R-OK", "Trùng số hồ sơ với dòng hai", "XN2", "covid", "author2", 0, None, "2022-01-10", "2021-12-01"],
            [None, "Tổng công ty không phải đơn vị", "TCTB", "union", "author3", 0, None, "2099-01-01", None],
        ],
    )
    with pytest.raises(ImportRefused) as e:
        initiatives_import(path=path, actor=report_structure["admin_n"])
    errors = e.value.errors
    for expected in ("dòng 3:", "dòng 4:", "dòng 5:"):
        assert any(err.startswith(expected) for err in errors), (expected, errors)
    assert not any("dòng 2:" in err for err in errors)
    assert "dòng 3: Tổng tỷ lệ đóng góp phải bằng 100 (hiện là 90)" in errors  # the actions' own rule
    with translation.override("en"), pytest.raises(ImportRefused) as e:
        initiatives_import(path=path, actor=report_structure["admin_n"])
    joined = "\n".join(e.value.errors)
    assert "row 3: title must be at least 10 characters" in joined
    for word in ("NOPE", "cooking", "sum to 100", "31/02/2022", "R-OK", "TCTB", "future"):
        assert word in joined, word
    assert not Initiative.objects.exists() and not AuditEntry.objects.filter(action="import").exists()
    # the command prints each refused row and exits non-zero
    with pytest.raises(CommandError), translation.override("en"):
        call_command("import_initiatives", str(path), "--user", "admin_n")
    err = capsys.readouterr().err
    assert "row 3:" in err and "row 5:" in err
    assert not Initiative.objects.exists()


def test_an_officer_imports_only_into_units_they_serve(report_structure, tmp_path):
    path = register(
        tmp_path, [[None, "Sáng kiến của xí nghiệp ba", "XN3", "technical", "author3", 0, None, "2022-01-10", None]]
    )
    with pytest.raises(ImportRefused) as e:
        initiatives_import(path=path, actor=report_structure["officer_a"])
    assert "XN3" in e.value.errors[0]


def test_the_demo_register_reproduces_the_seed(db, api):
    from councils.models import User
    from web.management.commands.seed_demo import REGISTER, STRUCTURE
    from workflow.structure import structure_load_file

    structure_load_file(path=STRUCTURE)
    assert initiatives_import(path=REGISTER, actor=User.objects.get(username="quantri")) == 222
    officer = User.objects.get(username="canbo_spc")
    rows = {
        r["organisation"]: r
        for r in api(officer).get("/api/v1/reports/progress/?organisation=EVNSPC&phase=P1").json()["results"]
    }
    assert rows["EVNSPC"]["registered"] == 65  # "đã đăng ký được 65 sáng kiến" by 1/6/2022
    registered = {c: r["registered"] for c, r in rows.items() if c != "EVNSPC"}
    assert registered == {
        "PCBD": 40,
        "PCBTH": 8,
        "PCTN": 5,
        "SPCIT": 3,
        "PCCM": 3,
        "PCBL": 2,
        "SPCHQ": 2,
        "PCDT": 1,
        "PCVL": 1,
    }
    done = sorted(
        c
        for c, r in rows.items()
        if r["percent_of_target"] is not None and r["percent_of_target"] >= 100 and c != "EVNSPC"
    )
    assert done == ["PCBD", "SPCIT"]  # "2 đơn vị hoàn thành kế hoạch giai đoạn 1": 40/40 and 03/03
    total = api(officer).get("/api/v1/reports/progress/?organisation=EVNSPC&until=2022-09-30").json()["results"][0]
    assert (total["registered"], total["target"], total["percent_of_target"]) == (222, 2400, 9.3)


def _sheet(tmp_path, headers, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    path = tmp_path / "reg.xlsx"
    wb.save(path)
    return path


def test_english_snake_case_headings_and_no_user(structure, tmp_path, capsys):
    path = _sheet(
        tmp_path,
        ["title", "unit", "category", "authors", "benefit_value_vnd", "registered"],
        [["Sáng kiến nhập từ sổ đăng ký", "XN1", "technical", "author1:100", 1_000_000, "2022-03-01"]],
    )
    call_command("import_initiatives", str(path))  # no --user: the system imports
    i = Initiative.objects.get(title="Sáng kiến nhập từ sổ đăng ký")
    assert i.benefit_value_vnd == 1_000_000 and i.created_by.username == "he-thong"
    assert AuditEntry.objects.filter(action="import", object_id=str(i.pk)).exists()


def test_unknown_headings_huge_benefits_and_every_problem_of_a_row_are_reported(structure, tmp_path, capsys):
    path = _sheet(tmp_path, ["title", "unit", "category", "authors", "registered", "giá trị"], [])
    with pytest.raises(CommandError), translation.override("en"):
        call_command("import_initiatives", str(path))
    assert "unknown column 'giá trị'" in capsys.readouterr().err
    path = _sheet(
        tmp_path,
        ["title", "unit", "category", "authors", "benefit", "registered"],
        [["Giá trị làm lợi quá lớn để lưu", "XN1", "technical", "author1:100", 10**25, "31/02/2022"]],
    )
    with pytest.raises(CommandError), translation.override("en"):
        call_command("import_initiatives", str(path))
    err = capsys.readouterr().err
    assert "row 2: benefit_value_vnd is too large" in err and "row 2: invalid registered date" in err
    assert not Initiative.objects.exists()


def test_dates_written_as_text_read_as_before_the_iso_fast_path(report_structure, tmp_path):
    """Text dates (how a checked batch keeps them, and how some registers write them): YYYY-MM-DD
    read directly, an impossible one refused with its column, and what only the slower formats
    accept (a day padded with a space, dd/mm/yyyy) still accepted."""
    from initiatives.imports import initiatives_import_preview

    rows = [
        ["D-1", "Sáng kiến ghi ngày dạng văn bản", "XN1", "technical", "author1", 0, "2022-01-05", "2022-02-01", None],
        ["D-2", "Sáng kiến ghi ngày không có thật", "XN1", "technical", "author1", 0, None, "2022-02-30", None],
        ["D-3", "Sáng kiến ghi ngày có khoảng trắng", "XN1", "technical", "author1", 0, None, "2022-02- 3", None],
        ["D-4", "Sáng kiến ghi ngày kiểu Việt Nam", "XN1", "technical", "author1", 0, None, "03/02/2022", None],
    ]
    errors, read = initiatives_import_preview(path=register(tmp_path, rows), actor=report_structure["admin_n"])
    assert read == 4
    assert [e for e in errors if not e.startswith("dòng 3:")] == []
    assert any("2022-02-30" in e for e in errors)
    path = register(tmp_path, [rows[0], rows[2], rows[3]], name="good.xlsx")
    assert initiatives_import(path=path, actor=report_structure["admin_n"]) == 3
    got = dict(Initiative.objects.filter(reference__startswith="D-").values_list("reference", "submitted_at"))
    assert {ref: at.date() for ref, at in got.items()} == {
        "D-1": datetime.date(2022, 2, 1),
        "D-3": datetime.date(2022, 2, 3),
        "D-4": datetime.date(2022, 2, 3),
    }
    assert Initiative.objects.get(reference="D-1").applied_since == datetime.date(2022, 1, 5)
