"""Files handed out by the imports: the report of a job (every row, its outcome, its check) and the template.

Every text cell that a spreadsheet would read as a formula (it starts with =, +, -, @, a tab or a carriage
return) is written with a leading apostrophe: a counterparty's name from an uploaded file stays text when
the report is opened.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook

from .models import Classification, ImportJob
from .selectors import ReportLine, report_lines

_FORMULA_PREFIXES = tuple("=+-@\t\r")


def report_headers() -> list[str]:
    return [
        _("Row"),
        _("VAT number (file)"),
        _("VAT number"),
        _("Name"),
        _("External reference"),
        _("Outcome"),
        _("Reason or warning"),
        _("Changes"),
        _("Verification"),
        _("Consultation number"),
        _("Checked at (UTC)"),
    ]


def report_rows(job: ImportJob) -> Iterator[list[str]]:
    vat_column = job.mapping.get("vat_number")
    for line in report_lines(job):
        yield _report_row(line, vat_column)


def _report_row(line: ReportLine, vat_column: int | None) -> list[str]:
    row, check = line.row, line.check
    typed = row.cells[vat_column] if vat_column is not None and vat_column < len(row.cells) else ""
    changes = "; ".join(f"{name}: {old or '—'} → {new}" for name, (old, new) in row.changes.items())
    if check is not None:
        verification, consultation = check.get_overall_status_display(), check.consultation_number
        checked = f"{check.finished_at or check.started_at:%Y-%m-%d %H:%M}"
    elif row.classification == Classification.NEW and row.job.is_committed:
        verification, consultation, checked = _("waiting"), "", ""
    else:
        verification, consultation, checked = "", "", ""
    return [
        str(row.line),
        typed,
        row.vat_number,
        row.name,
        row.external_reference,
        str(Classification(row.classification).label) if row.classification else "",
        " ".join(part for part in (row.reason, row.warning) if part),
        changes,
        str(verification),
        consultation,
        checked,
    ]


def safe_cell(value: str) -> str:
    """Text a spreadsheet shows as it is, never as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_PREFIXES) else value


def csv_stream(headers: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """CSV text, line by line, with a BOM so that Excel reads UTF-8: for a streaming response."""

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow(headers)
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def xlsx_file(sheet_name: str, headers: list[str], rows: Iterable[list[str]]) -> bytes:
    """An XLSX built in write-only mode (rows streamed to a temporary file, not held as cells)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name[:31])
    sheet.append(headers)
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
