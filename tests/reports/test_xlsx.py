"""``reports.xlsx``, the monthly workbook's writer: what it writes reads back with openpyxl as
written — values, types, number formats, the headings' style, widths, the frozen row — and no
string becomes a formula."""

import datetime
import decimal
import io
import zipfile

from openpyxl import load_workbook

from reports.xlsx import Workbook, column_letter


def _read(content):
    return load_workbook(io.BytesIO(content))


def test_values_types_and_formats_read_back():
    wb = Workbook()
    ws = wb.sheet("Tổng hợp", [(14, None), (44, None), (12, "0.0%"), (20, "#,##0"), (14, "dd/mm/yyyy"), (8, "0")])
    ws.header(["Mã", "Tên", "%", "VND", "Ngày", "Số"])
    ws.row(["A & B <c>", "  dấu cách  ", 0.125, 10**15, datetime.date(2022, 3, 31), decimal.Decimal("12.5")])
    ws.row(["X", None, None, 7, None, True], bold=True)
    second = wb.sheet("Danh sách", [(10, None)])
    second.header(["Số hồ sơ"])
    content = wb.save()
    book = _read(content)
    assert book.sheetnames == ["Tổng hợp", "Danh sách"]
    sheet = book["Tổng hợp"]
    assert [c.value for c in sheet[1]] == ["Mã", "Tên", "%", "VND", "Ngày", "Số"]
    head = sheet["A1"]
    assert head.font.b and head.fill.fgColor.rgb == "00DDE4EE" and head.alignment.wrap_text
    assert sheet.freeze_panes == "A2" and book["Danh sách"].freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 44 and sheet.column_dimensions["D"].width == 20
    row = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert [c.value for c in row] == [
        "A & B <c>",
        "  dấu cách  ",
        0.125,
        10**15,
        datetime.datetime(2022, 3, 31),
        12.5,
    ]
    assert [c.number_format for c in row] == ["General", "General", "0.0%", "#,##0", "dd/mm/yyyy", "0"]
    assert not any(c.font.b for c in row)
    bold = list(sheet.iter_rows(min_row=3, max_row=3))[0]
    assert [c.value for c in bold] == ["X", None, None, 7, None, True]
    assert bold[0].font.b and bold[3].font.b and bold[3].number_format == "#,##0"
    assert sheet.max_row == 3 and book["Danh sách"].max_row == 1
    assert bold[2].number_format == "0.0%"  # an empty cell keeps its column's format


def test_fractions_are_written_as_openpyxl_wrote_them():
    wb = Workbook()
    ws = wb.sheet("S", [(10, "0.0%"), (10, "0.0%"), (10, "#,##0"), (10, "#,##0")])
    ws.header(["a", "b", "c", "d"])
    ws.row([12.3 / 100, decimal.Decimal("200.0") / 100, float("nan"), 10**17])
    sheet = _read(wb.save())["S"]
    assert [c.value for c in sheet[2]] == [0.123, 2, None, 10**17]


def test_formula_like_text_stays_text_and_control_characters_are_dropped():
    wb = Workbook()
    ws = wb.sheet("S", [(30, None), (30, None)])
    ws.header(["a", "b"])
    titles = ['=HYPERLINK("http://x","y")', "+SUM(1)", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    for title in titles:
        ws.row([title, "bell\x07 nul\x00 end"])
    ws.row(["=1", "x"], bold=True)
    content = wb.save()
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml and "\x07" not in xml and "\x00" not in xml
    sheet = _read(content)["S"]
    cells = [r[0] for r in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [*titles, "=1"]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert cells[-1].font.b
    assert {r[1].value for r in sheet.iter_rows(min_row=2)} == {"bell nul end", "x"}
    assert sheet["B2"].quotePrefix is False


def test_column_letters():
    assert [column_letter(n) for n in (1, 26, 27, 52, 53, 702, 703)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]
