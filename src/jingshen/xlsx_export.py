"""Tables as XLSX downloads: one exporter shared by every page that offers 导出 Excel (查账's
余额表, 明细账, 凭证, 序时账 and dataset list; 疑点筛查's flag list).

A page builds a ``Sheet`` (or several, for a report of several tables: ``write_workbook``) (heading lines, typed columns, a stream of row tuples, an optional
footer) and answers ``response(request, sheet, filename, fallback, org=, obj=)``, which also
records the download in the activity log (who took which table, with which filters). The writer streams rows into
openpyxl's write-only workbook, keeps amounts as numbers (``Decimal``, ``#,##0.00``) and
neutralises text that a spreadsheet would run as a formula. ``EXPORT_MAX_ROWS`` bounds one
export; ``too_large`` sends the user back to the page with the reason."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect

from jingshen.activity.services import record_download

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_MAX_ROWS = 100_000  # openpyxl writes ~10 k rows/s: larger exports belong in a background task
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Neutralise spreadsheet formula injection: text that Excel would read as a formula gets
    a leading single quote, so it is shown as text. Control characters that XLSX cannot hold
    (found in some finance exports) are dropped."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@dataclass
class Column:
    header: str
    kind: str = "text"  # text, money, int, date
    width: int = 12


@dataclass
class Sheet:
    title: str  # worksheet name (≤ 31 characters)
    heading: list[str]  # lines above the table
    columns: list[Column]
    rows: Iterable[tuple]
    footer: list[tuple] = field(default_factory=list)  # e.g. the totals row


def write_xlsx(sheet: Sheet, target) -> int:
    """Write ``sheet`` to ``target`` (path or binary file) with openpyxl's streaming writer.
    Amounts stay numbers (Decimal) formatted #,##0.00; text is neutralised. Returns rows written."""
    return write_workbook([sheet], target)


def write_workbook(sheets: list[Sheet], target) -> int:
    """Write several sheets, in order, to one workbook (a report of several tables, e.g. 年度统计报表).
    Returns the rows written over all sheets."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    written = sum(_write_sheet(wb, sheet) for sheet in sheets)
    wb.save(target)
    return written


def _write_sheet(wb, sheet: Sheet) -> int:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(sheet.title[:31])
    for i, col in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = f"A{len(sheet.heading) + 2}"
    bold = Font(bold=True)
    for n, text in enumerate(sheet.heading):
        cell = WriteOnlyCell(ws, value=safe_text(text))
        if n == 0:
            cell.font = Font(bold=True, size=14)
        ws.append([cell])
    header = []
    for col in sheet.columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="F2F4F7")
        cell.alignment = Alignment(horizontal="right" if col.kind in ("money", "int") else "left")
        header.append(cell)
    ws.append(header)

    money = [i for i, col in enumerate(sheet.columns) if col.kind == "money"]

    def cells(values, font=None):
        # Plain values are cheapest for openpyxl; only amounts (number format) and the
        # totals row (bold) need styled cells. Dates get yyyy-mm-dd from openpyxl itself.
        out = [safe_text(v) if isinstance(v, str) else v for v in values]
        for i in range(len(out)) if font else money:
            cell = WriteOnlyCell(ws, value=out[i])
            if i in money:
                cell.number_format = "#,##0.00;[Red]-#,##0.00"
            if font:
                cell.font = font
            out[i] = cell
        return out

    written = 0
    for values in sheet.rows:
        ws.append(cells(values))
        written += 1
    for values in sheet.footer:
        ws.append(cells(values, bold))
    return written


# --- HTTP ---------------------------------------------------------------------------------------------


def response(request, sheet: Sheet | list[Sheet], filename: str, fallback: str, *, org=None, obj=None) -> FileResponse:
    """The workbook (one sheet, or several in order) as a download, recorded in the activity log
    with the page's filters under the first sheet's title; the Chinese file name per RFC 5987
    (filename*), with an ASCII fallback for old clients."""
    sheets = sheet if isinstance(sheet, list) else [sheet]
    query = getattr(request, "query", None)  # the page's declared filters (querystring.query)
    filters = {k: v for k, v in query.cleaned_data.items() if v not in (None, "") and k != "format"} if query else {}
    record_download(sheets[0].title, filename, actor=request.user, org=org, obj=obj, filters=filters)
    tmp = tempfile.TemporaryFile()
    write_workbook(sheets, tmp)
    tmp.seek(0)
    answer = FileResponse(tmp, content_type=CONTENT_TYPE, as_attachment=True, filename=fallback)
    answer["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return answer


def back_to_page(request):
    """The page itself instead of its export (same filters), where the messages show."""
    query = request.GET.copy()
    query.pop("format", None)
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


def too_large(request, total: int):
    """Refuse an export of more than EXPORT_MAX_ROWS rows: back to the page, saying why."""
    messages.error(
        request,
        f"共 {total:,} 行，超过单次导出上限 {EXPORT_MAX_ROWS:,} 行，请缩小期间或筛选范围后再导出。",
    )
    return back_to_page(request)
