"""The counterparty list as a file: CSV for tools, XLSX for people. The columns an auditor asks for."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from io import BytesIO

from django.db.models import QuerySet
from openpyxl import Workbook

from .models import Counterparty

COLUMNS = [
    "VAT number",
    "Country",
    "Name (entered)",
    "Registered name",
    "Registered address",
    "Status",
    "Status since (UTC)",
    "Last check (UTC)",
    "Last check result",
    "Last consultation number",
    "Monitoring",
    "Next check (UTC)",
]
# A cell starting with one of these is a formula to a spreadsheet: a registry's text must stay text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def counterparty_rows(queryset: QuerySet[Counterparty]) -> Iterator[list[str]]:
    for counterparty in queryset.select_related("last_check").iterator(chunk_size=2000):
        last = counterparty.last_check
        yield [
            counterparty.vat_number,
            counterparty.country_code,
            counterparty.name,
            counterparty.registered_name or "",
            (counterparty.registered_address or "").replace("\n", ", "),
            counterparty.status or "not checked",
            _when(counterparty.status_changed_at),
            _when(counterparty.last_checked_at),
            last.overall_status if last else "",
            last.consultation_number if last else "",
            counterparty.get_monitoring_display(),
            _when(counterparty.next_check_due_at),
        ]


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """CSV text line by line, for a streaming response: memory stays flat however long the list."""

    class Line:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Line())
    yield "\ufeff"  # a byte-order mark, so that spreadsheet programs read UTF-8 names correctly
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow([_as_text(value) for value in row])


def xlsx_bytes(rows: Iterable[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Counterparties")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([_as_text(value) for value in row])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _as_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""
