"""The audit export: every check of a workspace (or of one counterparty) over a date range, with its evidence.

CSV is streamed row by row; XLSX is written into a file (crm/spreadsheets.py), so memory stays flat however
long the range. Up to AUDIT_EXPORT_BACKGROUND_ROWS checks the request writes the workbook itself; more are
written by the export task (crm/services/exports.py), since a workbook's first byte is its last. Times are
UTC: real date cells in XLSX, ISO 8601 with the zone in CSV.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import IO

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from . import spreadsheets
from .models import CheckResult, Counterparty, VerificationCheck, Workspace

FORMAT_SERVICE = "format"


def columns() -> list[tuple[str, int]]:
    """(heading, width) of every column, in order."""
    return [
        (_("Check"), 9),
        (_("Started (UTC)"), 20),
        (_("Finished (UTC)"), 20),
        (_("VAT number"), 16),
        (_("Counterparty (as entered)"), 30),
        (_("Started by"), 18),
        (_("Requested by"), 26),
        (_("Requester VAT number"), 18),
        (_("Overall result"), 14),
        (_("Confidence"), 11),
        (_("Consultation number"), 24),
        (_("Registry"), 10),
        (_("Registry result"), 14),
        (_("Registered name"), 30),
        (_("Registered address"), 40),
        (_("Error code"), 18),
        (_("Raw response SHA-256"), 66),
    ]


def audit_checks(
    workspace: Workspace,
    *,
    first: date,
    last: date,
    counterparty: Counterparty | int | None = None,
    up_to_check: int | None = None,
) -> QuerySet[VerificationCheck]:
    """The workspace's checks that started from `first` to `last` (UTC days, both included), oldest first.

    `counterparty` (a row or its id) narrows them to one counterparty; `up_to_check` leaves out checks made
    after the export was asked for (ids grow), so that a file written later holds what matched then.
    """
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last, time.min, tzinfo=UTC) + timedelta(days=1)
    checks = VerificationCheck.objects.filter(workspace=workspace, started_at__gte=start, started_at__lt=end)
    if counterparty is not None:
        checks = checks.filter(counterparty=counterparty)
    if up_to_check is not None:
        checks = checks.filter(pk__lte=up_to_check)
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
            registry.raw_response_sha256 if registry else "",
        ]


def audit_filename(*, scope: str, first: date, last: date, file_format: str) -> str:
    """`scope` is the counterparty's VAT number, or the workspace's slug."""
    return f"checks-{scope}-{first:%Y%m%d}-{last:%Y%m%d}.{file_format}"


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """CSV text line by line, for a streaming response or a file."""
    headers = [heading for heading, _width in columns()]
    return spreadsheets.csv_lines(headers, rows, moment=lambda moment: moment.astimezone(UTC).isoformat())


def write_xlsx(rows: Iterable[list], target: str | IO[bytes]) -> int:
    """Write the workbook to `target` (a path or a binary file); returns the row count."""
    spec = columns()
    return spreadsheets.write_xlsx(
        target,
        title=_("Checks"),
        headers=[heading for heading, _width in spec],
        rows=rows,
        zone=UTC,
        date_format="yyyy-mm-dd hh:mm:ss",
        widths=[width for _heading, width in spec],
    )


def xlsx_file(rows: Iterable[list]) -> IO[bytes]:
    """The workbook in a temporary file, rewound: a FileResponse streams it and closes (deletes) it."""
    output = tempfile.TemporaryFile()  # noqa: SIM115 -- outlives this function: the response closes it
    write_xlsx(rows, output)
    output.seek(0)
    return output
