"""Workbooks we write are read by people in Excel or LibreOffice: a cell whose text begins with
``=``, ``+``, ``-``, ``@`` (or a tab or carriage return before one) would run as a formula there
(``=HYPERLINK(...)``, DDE). Every string cell is written as text, with Excel's own "quote prefix"
so that editing the cell keeps it text; nothing is added to the value itself."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cells_as_text(workbook) -> int:
    """Turn every string cell of ``workbook`` that a spreadsheet could read as a formula into text.
    Call it just before saving; returns how many cells it changed."""
    changed = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    cell.data_type = "s"
                    cell.quotePrefix = True
                    changed += 1
    return changed
