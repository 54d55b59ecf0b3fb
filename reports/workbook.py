"""The monthly report workbook (Báo cáo tháng): Vietnamese headings, written by ``reports.xlsx``.

Sheet 1 "Tổng hợp": one row per child organisation (as the tree stood at the month's end) and a
total row for the union itself — registered this month, cumulative since the programme started,
the programme target (sum of its phase targets), % of target, participation %, benefit (cumulative)
and cumulative registrations by category. Sheet 2 "Danh sách sáng kiến": the month's registered
initiatives (a confidential one with its title, unit, state and date only: the workbook is mailed to
officers, who may not see its content). Figures come from ``reports.selectors.progress_report``,
the same as the API; they are sums, and include confidential dossiers.
"""

from django.utils import timezone

from councils.models import Organisation
from initiatives.models import Category, Programme, State

from .selectors import (
    CATEGORIES,
    Period,
    current_programme,
    month_bounds,
    month_initiatives,
    period_for,
    progress_report,
)
from .xlsx import Workbook

SUMMARY_SHEET = "Tổng hợp"
LIST_SHEET = "Danh sách sáng kiến"
VND = "#,##0"
PCT = "0.0%"
CONFIDENTIAL = "(bảo mật)"

SUMMARY_HEADERS = [
    ("Mã đơn vị", 14, None),
    ("Tên đơn vị", 44, None),
    ("Đăng ký trong tháng", 14, "0"),
    ("Lũy kế đăng ký", 14, "#,##0"),
    ("Chỉ tiêu", 12, "#,##0"),
    ("% chỉ tiêu", 12, PCT),
    ("Số tác giả (lũy kế)", 14, "#,##0"),
    ("Số đoàn viên", 14, "#,##0"),
    ("Tỷ lệ tham gia", 12, PCT),
    ("Giá trị làm lợi (VND)", 20, VND),
] + [(f"Lũy kế: {Category(c).label}", 18, "#,##0") for c in CATEGORIES]

LIST_HEADERS = [
    ("Số hồ sơ", 18, None),
    ("Tên sáng kiến", 60, None),
    ("Đơn vị", 36, None),
    ("Lĩnh vực", 30, None),
    ("Tác giả", 40, None),
    ("Giá trị làm lợi (VND)", 20, VND),
    ("Trạng thái", 24, None),
    ("Ngày đăng ký", 14, "dd/mm/yyyy"),
]


def _sheet(wb, name, headers):
    """A sheet with its columns' widths and number formats, and its bold, shaded, frozen headings."""
    ws = wb.sheet(name, [(width, fmt) for _title, width, fmt in headers])
    ws.header([title for title, _width, _fmt in headers])
    return ws


def _fraction(pct):
    return None if pct is None else pct / 100


def programme_for_month(year: int, month: int) -> Programme | None:
    first, last = month_bounds(year, month)
    return Programme.objects.filter(starts__lte=last, ends__gte=first).order_by("-starts").first() or (
        current_programme()
    )


def monthly_figures(*, organisation: Organisation, year: int, month: int) -> list[dict]:
    """Rows of sheet 1: the children (as the tree stood at the month's end), then the union itself
    as the total (``"total": True``). Two progress reports: the month, and cumulative to its end."""
    first, last = month_bounds(year, month)
    programme = programme_for_month(year, month)
    cumulative = progress_report(
        root=organisation, period=period_for(programme=programme, until=last, on=last), by_category=True
    )
    in_month = {
        r["organisation"]: r["registered"]
        for r in progress_report(root=organisation, period=Period(starts=first, ends=last, on=last), authors=False)
    }
    root_code = organisation.code
    rows = []
    for r in cumulative:
        if r["organisation"] != root_code and r["parent"] != root_code:
            continue
        rows.append(
            {**r, "registered_month": in_month.get(r["organisation"], 0), "total": r["organisation"] == root_code}
        )
    rows.sort(key=lambda r: r["total"])  # children first (in tree order), the total last
    return rows


def monthly_workbook(*, organisation: Organisation, year: int, month: int) -> bytes:
    """The workbook, written row by row as text (``reports.xlsx``: a sector's month of thousands of
    dossiers, no cell object per value)."""
    figures = monthly_figures(organisation=organisation, year=year, month=month)
    wb = Workbook()
    ws = _sheet(wb, SUMMARY_SHEET, SUMMARY_HEADERS)
    for r in figures:
        values = [
            r["organisation"],
            ("Tổng cộng — " if r["total"] else "") + r["name"],
            r["registered_month"],
            r["registered"],
            r["target"],
            _fraction(r["percent_of_target"]),
            r["authors"],
            r["headcount"],
            _fraction(r["participation_percent"]),
            r["benefit_value_vnd"],
        ] + [r["by_category"][c] for c in CATEGORIES]
        ws.row(values, bold=r["total"])
    ws2 = _sheet(wb, LIST_SHEET, LIST_HEADERS)
    # labels and the time zone once, not per row (a sector's month is thousands of rows)
    category_label = {c: str(Category(c).label) for c in Category.values}
    state_label = {s: str(State(s).label) for s in State.values}
    tz = timezone.get_current_timezone()
    for ini in month_initiatives(root=organisation, year=year, month=month):
        # the workbook goes to officers (and by e-mail), who may not see a confidential dossier's
        # content: its row keeps the title, unit, state and date, never the authors, category or benefit
        hidden = ini.confidential
        values = [
            ini.reference or str(ini.pk),
            ini.title,
            ini.organisation_name,
            CONFIDENTIAL if hidden else category_label.get(ini.category, ini.category),
            CONFIDENTIAL
            if hidden
            else "; ".join(f"{name} ({share.normalize():f}%)" for name, share in ini.author_shares),
            None if hidden else ini.counted_benefit_vnd,  # the assessed value once a council gave one
            state_label.get(ini.state, ini.state),
            timezone.localtime(ini.submitted_at, tz).date(),
        ]
        ws2.row(values)
    return wb.save()


def workbook_filename(*, organisation: Organisation, year: int, month: int) -> str:
    return f"bao-cao-sang-kien-{organisation.code}-{year:04d}-{month:02d}.xlsx"
