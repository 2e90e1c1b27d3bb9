"""Exports written in the background: store the request, then claim the row, write the file, record it.

The task may run twice for one export (a redelivered message after a worker was killed mid-file): each
run writes the whole file under its own name and the last one to finish is recorded; the file of a run
that lost is deleted. Nothing is held locked while the file is written (a minute for a million rows).

Two kinds share this machinery: the counterparty list (its ids, stored in order) and the audit export of
checks (its days, and the newest check it may hold), each written by its own module's writers.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from datetime import date, datetime

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from .. import audit
from ..exports import counterparties_by_ids, csv_lines, export_filename, rows_of, write_xlsx
from ..models import Counterparty, Export, ExportFormat, ExportKind, ExportState, Workspace

logger = logging.getLogger(__name__)


def export_request(
    *, workspace: Workspace, user, queryset: QuerySet[Counterparty], file_format: str, filters: dict[str, list[str]]
) -> Export:
    """Store what to export and enqueue the task that writes it, on commit.

    The ids are stored as they match now, in the queryset's order: the file holds what the user asked
    for, whatever changes while it is written. Exports past their retention go first.
    """
    ids = list(queryset.values_list("pk", flat=True))
    return _export_store(
        workspace=workspace,
        requested_by=user,
        file_format=file_format,
        filters=filters,
        counterparty_ids=ids,
        expected_rows=len(ids),
        filename=export_filename(workspace.slug, file_format),
    )


def audit_export_request(
    *,
    workspace: Workspace,
    user,
    first: date,
    last: date,
    counterparty: Counterparty | None,
    file_format: str,
) -> Export:
    """Store an audit export of the checks from `first` to `last` (UTC days) and enqueue its task, on commit.

    The checks made after this moment are left out of the file (the newest matching id is stored: ids only
    grow), so that it holds what matched when it was asked for, like the list's export.
    """
    checks = audit.audit_checks(workspace, first=first, last=last, counterparty=counterparty)
    matched = checks.order_by().aggregate(count=Count("pk"), newest=Max("pk"))
    filters = {"date_from": [first.isoformat()], "date_to": [last.isoformat()]}
    if counterparty is not None:
        filters["counterparty"] = [str(counterparty.pk)]
    scope = counterparty.vat_number if counterparty is not None else workspace.slug
    return _export_store(
        workspace=workspace,
        requested_by=user,
        kind=ExportKind.CHECKS,
        file_format=file_format,
        filters=filters,
        up_to_check_id=matched["newest"] or 0,
        expected_rows=matched["count"],
        filename=audit.audit_filename(scope=scope, first=first, last=last, file_format=file_format),
    )


def _export_store(**fields) -> Export:
    from ..tasks import export_write

    export_prune(before=timezone.now() - settings.EXPORT_RETENTION)
    export = Export.objects.create(**fields)
    transaction.on_commit(lambda: export_write.delay(export.pk))
    return export


def export_write(*, export_id: int) -> Export | None:
    """Write the export's file; None when there is nothing to do (finished already, or gone)."""
    claimed = Export.objects.filter(pk=export_id, state__in=(ExportState.PENDING, ExportState.RUNNING)).update(
        state=ExportState.RUNNING
    )
    if not claimed:
        return None
    export = Export.objects.select_related("workspace").get(pk=export_id)
    try:
        name, rows = _write_file(export)
    except Exception as exc:
        logger.exception("export %s failed", export_id)
        Export.objects.filter(pk=export_id).exclude(state=ExportState.DONE).update(
            state=ExportState.FAILED, error=f"{type(exc).__name__}: {exc}"[:1000], finished_at=timezone.now()
        )
        raise
    recorded = Export.objects.filter(pk=export_id).exclude(state=ExportState.DONE)
    if not recorded.update(state=ExportState.DONE, file=name, rows=rows, finished_at=timezone.now()):
        default_storage.delete(name)  # another run of the same export finished first
    export.refresh_from_db()
    return export


def _write_file(export: Export) -> tuple[str, int]:
    if export.kind == ExportKind.CHECKS:
        counted = _Counted(audit.audit_rows(_audit_checks(export)))
        xlsx, lines = audit.write_xlsx, audit.csv_lines
    else:
        # Scoped to the export's workspace again: the ids were, but the rule holds in every query.
        queryset = Counterparty.objects.filter(workspace=export.workspace)
        counted = _Counted(rows_of(counterparties_by_ids(queryset, export.counterparty_ids or [])))
        xlsx, lines = write_xlsx, csv_lines
    with tempfile.TemporaryFile() as scratch:
        if export.file_format == ExportFormat.XLSX:
            xlsx(counted, scratch)
        else:
            for line in lines(counted):
                scratch.write(line.encode("utf-8"))
        scratch.seek(0)
        name = default_storage.save(f"exports/{export.workspace_id}/{export.pk}-{export.filename}", File(scratch))
    return name, counted.count


def _audit_checks(export: Export):
    """The checks an audit export stored by `audit_export_request` holds, in the export's workspace."""
    filters = export.filters
    counterparty = filters.get("counterparty")
    return audit.audit_checks(
        export.workspace,
        first=date.fromisoformat(filters["date_from"][0]),
        last=date.fromisoformat(filters["date_to"][0]),
        counterparty=int(counterparty[0]) if counterparty else None,
        up_to_check=export.up_to_check_id,
    )


class _Counted:
    def __init__(self, rows: Iterator) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def export_prune(*, before: datetime) -> int:
    """Delete exports (and their files) created before `before`: a download link is not an archive."""
    old = list(Export.objects.filter(created_at__lt=before).only("pk", "file"))
    for export in old:
        if export.file:
            default_storage.delete(export.file.name)
    Export.objects.filter(pk__in=[export.pk for export in old]).delete()
    return len(old)
