"""Every spreadsheet file vatcrm hands out, written one way: CSV streamed for tools, XLSX row by row for people.

What each such file must do is kept here once:
- a text cell a spreadsheet would read as a formula (=, +, -, @, a tab or a carriage return first) is written
  with a leading apostrophe: a name from a registry or from an uploaded file is never run;
- CSV is UTF-8 with a byte-order mark, which spreadsheet programs need to read accented names, and is produced
  line by line, so a streaming response holds no more than a line;
- XLSX is written in openpyxl's write-only mode (memory stays flat), with a bold header row that stays frozen,
  an autofilter over every row, column widths where the caller knows them, and real date cells: a spreadsheet
  has no time zones, so a moment is written as its wall time in the zone the caller names in the header.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE_MAX = 31  # Excel refuses longer sheet names

Moment = Callable[[datetime], str]


def as_text(value: str) -> str:
    """Text a spreadsheet shows as it is, never as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def wall_time(moment: datetime, zone: tzinfo) -> datetime:
    """The moment as the clock in `zone` shows it (a naive datetime is taken as already there)."""
    return moment.astimezone(zone) if moment.tzinfo is not None else moment


def csv_lines(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, moment: Moment = datetime.isoformat
) -> Iterator[str]:
    """CSV text line by line; `moment` writes a datetime cell (in the zone the headers name)."""

    class Line:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Line())
    yield "\ufeff"
    yield writer.writerow(headers)
    for row in rows:
        yield writer.writerow([_csv_value(value, moment) for value in row])


def write_xlsx(
    target: str | IO[bytes],
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    zone: tzinfo,
    date_format: str = "yyyy-mm-dd hh:mm",
    widths: Sequence[int] = (),
) -> int:
    """Write one sheet to `target` (a path or a binary file); returns the number of rows under the header."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:SHEET_TITLE_MAX])
    # Widths and panes are written with the sheet's head, before the first row.
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for heading in headers:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append([_xlsx_value(sheet, value, zone, date_format) for value in row])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    workbook.save(target)
    return count


def _csv_value(value: Any, moment: Moment) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return moment(value)
    return as_text(str(value))


def _xlsx_value(sheet: Any, value: Any, zone: tzinfo, date_format: str) -> Any:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=wall_time(value, zone).replace(tzinfo=None))
        cell.number_format = date_format
        return cell
    return as_text(value) if isinstance(value, str) else value
