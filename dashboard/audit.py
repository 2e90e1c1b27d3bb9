"""The audit export: every check of a workspace (or of one counterparty) over a date range, with its evidence.

CSV is streamed row by row; XLSX is written by openpyxl's write-only mode into a temporary file, so memory
stays flat however long the range. Times are UTC: real date cells in XLSX, ISO 8601 with the zone in CSV.
"""

from __future__ import annotations

import csv
import hashlib
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import IO

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from crm.models import CheckResult, Counterparty, VerificationCheck, Workspace

FORMAT_SERVICE = "format"
# A cell starting with one of these is a formula to a spreadsheet: a registry's text must stay text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_WHEN = 1  # the column kinds below: text, a moment, a number
_NUMBER = 2


def columns() -> list[tuple[str, int, int]]:
    """(heading, kind, width) of every column, in order."""
    return [
        (_("Check"), _NUMBER, 9),
        (_("Started (UTC)"), _WHEN, 20),
        (_("Finished (UTC)"), _WHEN, 20),
        (_("VAT number"), 0, 16),
        (_("Counterparty (as entered)"), 0, 30),
        (_("Started by"), 0, 18),
        (_("Requested by"), 0, 26),
        (_("Requester VAT number"), 0, 18),
        (_("Overall result"), 0, 14),
        (_("Confidence"), _NUMBER, 11),
        (_("Consultation number"), 0, 24),
        (_("Registry"), 0, 10),
        (_("Registry result"), 0, 14),
        (_("Registered name"), 0, 30),
        (_("Registered address"), 0, 40),
        (_("Error code"), 0, 18),
        (_("Raw response SHA-256"), 0, 66),
    ]


def audit_checks(
    workspace: Workspace, *, first: date, last: date, counterparty: Counterparty | None = None
) -> QuerySet[VerificationCheck]:
    """The workspace's checks that started from `first` to `last` (UTC days, both included), oldest first."""
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last, time.min, tzinfo=UTC) + timedelta(days=1)
    checks = VerificationCheck.objects.filter(workspace=workspace, started_at__gte=start, started_at__lt=end)
    if counterparty is not None:
        checks = checks.filter(counterparty=counterparty)
    registry_results = CheckResult.objects.exclude(service=FORMAT_SERVICE).order_by("id")
    return (
        checks.select_related("counterparty", "triggered_by")
        .prefetch_related(Prefetch("results", queryset=registry_results, to_attr="registry_results"))
        .order_by("started_at", "id")
    )


def audit_rows(checks: QuerySet[VerificationCheck]) -> Iterator[list]:
    for check in checks.iterator(chunk_size=1000):
        registry = check.registry_results[0] if check.registry_results else None
        user = check.triggered_by
        yield [
            check.pk,
            check.started_at,
            check.finished_at,
            check.counterparty.vat_number,
            check.counterparty.name,
            str(check.get_trigger_display()),
            (user.email or user.get_username()) if user else "",
            check.requester_vat_number,
            check.overall_status,
            check.confidence_score,
            check.consultation_number,
            registry.service.upper() if registry else "",
            registry.status if registry else "",
            (registry.registered_name or "") if registry else "",
            (registry.registered_address or "").replace("\n", ", ") if registry else "",
            registry.error_code if registry else "",
            hashlib.sha256(registry.raw_response.encode("utf-8")).hexdigest()
            if registry and registry.raw_response
            else "",
        ]


def csv_lines(rows: Iterator[list]) -> Iterator[str]:
    """CSV text line by line, for a streaming response."""

    class Line:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Line())
    yield "\ufeff"  # a byte-order mark, so that spreadsheet programs read UTF-8 names correctly
    yield writer.writerow([heading for heading, _kind, _width in columns()])
    for row in rows:
        yield writer.writerow([_csv_value(value) for value in row])


def xlsx_file(rows: Iterator[list]) -> IO[bytes]:
    """The workbook in a temporary file, rewound: a FileResponse streams it and closes (deletes) it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Checks"))
    spec = columns()
    for index, (_heading, _kind, width) in enumerate(spec, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for heading, _kind, _width in spec:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value, kind) for value, (_h, kind, _w) in zip(row, spec, strict=True)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(spec))}{count + 1}"
    output = tempfile.TemporaryFile()  # noqa: SIM115 -- outlives this function: the response closes it
    workbook.save(output)
    output.seek(0)
    return output


def _csv_value(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if value is None:
        return ""
    return _as_text(str(value))


def _xlsx_cell(sheet, value, kind: int):
    if kind == _WHEN:
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=value.astimezone(UTC).replace(tzinfo=None))  # Excel has no zones
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if kind == _NUMBER:
        return value
    return _as_text(str(value)) if value not in (None, "") else None


def _as_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
