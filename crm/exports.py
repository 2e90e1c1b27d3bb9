"""The counterparty list as a file: CSV for tools, XLSX for people. The columns an auditor asks for.

`export_response(request, queryset, file_format)` is the one entry point for the list's export links and
the bulk action "export the selection". No export holds a web worker for more than a few seconds:

- up to EXPORT_BACKGROUND_ROWS rows, CSV streams (the first byte leaves before the database has sent
  the last row; memory stays flat) and XLSX is written by openpyxl's write-only mode, row by row;
- above it, the ids are stored on an Export row and a Celery task writes the file to the default
  storage; the request answers at once with a page that follows the task and then offers the download.

Dates are real spreadsheet dates in XLSX and text in CSV, in the zone the header names; statuses are the
vocabulary's words. The files themselves are written by crm/spreadsheets.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import IO, Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from . import spreadsheets, vocabulary
from .models import Counterparty, ExportFormat, MonitoringFrequency
from .spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Column:
    header: str  # may hold "{zone}"
    width: int  # in characters, for XLSX
    is_date: bool = False


COLUMNS = [
    Column("VAT number", 16),
    Column("Country", 8),
    Column("Name (entered)", 32),
    Column("Registered name", 32),
    Column("Registered address", 44),
    Column("Status", 14),
    Column("Status since ({zone})", 18, is_date=True),
    Column("Last check ({zone})", 18, is_date=True),
    Column("Last check result", 16),
    Column("Last consultation number", 26),
    Column("Monitoring", 11),
    Column("Next check ({zone})", 18, is_date=True),
]

Row = list[Any]  # text, or an aware datetime, or None
NextCheck = Callable[[Counterparty], datetime | None]


def _stored_due_time() -> NextCheck:
    return lambda counterparty: counterparty.next_check_due_at


# When a monitored counterparty is next re-checked is monitoring's knowledge (its schedule), and crm does
# not import monitoring: monitoring's AppConfig.ready() installs its answer here, so that the export's
# "Next check" is the time the monitoring card shows. A factory, called once per export.
next_check_times: Callable[[], NextCheck] = _stored_due_time


def headers() -> list[str]:
    zone = vocabulary.zone_name()
    return [_(column.header).format(zone=zone) for column in COLUMNS]


def counterparty_rows(queryset: QuerySet[Counterparty]) -> Iterator[Row]:
    """One row per counterparty, in the queryset's order, read from the database in chunks."""
    return rows_of(_for_export(queryset).iterator(chunk_size=CHUNK_SIZE))


def counterparties_by_ids(queryset: QuerySet[Counterparty], ids: list[int]) -> Iterator[Counterparty]:
    """The counterparties of `ids` in that order, a chunk of ids per query (a query may bind only so many)."""
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        found = _for_export(queryset).in_bulk(chunk)
        yield from (found[pk] for pk in chunk if pk in found)


def _for_export(queryset: QuerySet[Counterparty]) -> QuerySet[Counterparty]:
    # Only the columns the file has: a row costs its model's construction, and the check's row is wide.
    return queryset.select_related("last_check").only(*_EXPORTED_FIELDS)


_EXPORTED_FIELDS = (
    "vat_number",
    "country_code",
    "name",
    "registered_name",
    "registered_address",
    "status",
    "status_changed_at",
    "last_checked_at",
    "monitoring",
    "next_check_due_at",
    "last_check__overall_status",
    "last_check__consultation_number",
)


def rows_of(counterparties: Iterable[Counterparty]) -> Iterator[Row]:
    next_check = next_check_times()
    # The words, translated once per export rather than per row (a catalogue lookup costs more than a row).
    statuses = {code: str(word.label) for code, word in vocabulary.WORDS.items()}
    not_checked = statuses[vocabulary.NOT_CHECKED]
    frequencies = {value: str(label) for value, label in MonitoringFrequency.choices}
    for counterparty in counterparties:
        last = counterparty.last_check
        yield [
            counterparty.vat_number,
            counterparty.country_code,
            counterparty.name,
            counterparty.registered_name or "",
            (counterparty.registered_address or "").replace("\n", ", "),
            statuses.get(counterparty.status, not_checked),
            counterparty.status_changed_at,
            counterparty.last_checked_at,
            statuses.get(last.overall_status, not_checked) if last else "",
            last.consultation_number if last else "",
            frequencies.get(counterparty.monitoring, counterparty.monitoring),
            next_check(counterparty) if counterparty.is_monitored else None,
        ]


def csv_lines(rows: Iterable[Row]) -> Iterator[str]:
    """CSV text line by line, for a streaming response: memory stays flat however long the list."""
    zone = timezone.get_current_timezone()
    return spreadsheets.csv_lines(
        headers(), rows, moment=lambda moment: f"{spreadsheets.wall_time(moment, zone):%Y-%m-%d %H:%M}"
    )


def write_xlsx(rows: Iterable[Row], target: str | IO[bytes]) -> int:
    """Write the sheet to `target` (a path or a binary file); returns the row count."""
    return spreadsheets.write_xlsx(
        target,
        title=_("Counterparties"),
        headers=headers(),
        rows=rows,
        zone=timezone.get_current_timezone(),
        widths=[column.width for column in COLUMNS],
    )


def export_filename(workspace_slug: str, file_format: str) -> str:
    return f"counterparties-{workspace_slug}-{timezone.now():%Y%m%d-%H%M}.{file_format}"


def export_response(request: HttpRequest, queryset: QuerySet[Counterparty], file_format: str) -> HttpResponse:
    """These counterparties (already scoped to the request's workspace) as a download, or, when they are
    many, a page that follows the file being written in the background."""
    if queryset.count() > settings.EXPORT_BACKGROUND_ROWS:
        from .services.exports import export_request  # the services build on this module's writers

        export = export_request(
            workspace=request.workspace,
            user=request.user,
            queryset=queryset,
            file_format=file_format,
            filters={key: request.GET.getlist(key) for key in request.GET},
        )
        return redirect("crm:export_detail", pk=export.pk)
    filename = export_filename(request.workspace.slug, file_format)
    if file_format == ExportFormat.XLSX:
        buffer = BytesIO()
        write_xlsx(counterparty_rows(queryset), buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    else:
        response = StreamingHttpResponse(csv_lines(counterparty_rows(queryset)), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
