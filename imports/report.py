"""Files handed out by the imports: the report of a job (every row, its outcome, the latest outcome of its
verification) and the template.

Written by crm/spreadsheets.py, so a counterparty's name from an uploaded file stays text when the report is
opened, never a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC
from io import BytesIO

from django.utils.translation import gettext as _

from crm import spreadsheets
from crm.consultation import consultation_note
from crm.models import CheckStatus

from .models import Classification, ImportJob
from .selectors import ReportLine, report_lines


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
        _("Why no consultation number"),
    ]


def report_rows(job: ImportJob) -> Iterator[list[str]]:
    vat_column = job.mapping.get("vat_number")
    for line in report_lines(job):
        yield _report_row(line, vat_column)


def _report_row(line: ReportLine, vat_column: int | None) -> list[str]:
    row, check = line.row, line.check
    typed = row.cells[vat_column] if vat_column is not None and vat_column < len(row.cells) else ""
    changes = "; ".join(f"{name}: {old or '—'} → {new}" for name, (old, new) in row.changes.items())
    verification, consultation, checked, missing = "", "", "", ""
    if line.waiting:
        verification = _("waiting")
    elif line.status:
        verification = CheckStatus(line.status).label
    if check is not None:
        consultation, checked = check.consultation_number, f"{check.finished_at or check.started_at:%Y-%m-%d %H:%M}"
        # As on the counterparty page: a check without the legal proof says why (no requester company, ...).
        note = consultation_note(check)
        missing = note.message if note else ""
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
        missing,
    ]


def xlsx_file(sheet_name: str, headers: list[str], rows: Iterable[list[str]]) -> bytes:
    """The sheet as XLSX bytes (rows streamed to the workbook, not held as cells)."""
    buffer = BytesIO()
    spreadsheets.write_xlsx(buffer, title=sheet_name, headers=headers, rows=rows, zone=UTC)
    return buffer.getvalue()
