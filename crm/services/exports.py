"""Exports written in the background: store the request, then claim the row, write the file, record it.

The task may run twice for one export (a redelivered message after a worker was killed mid-file): each
run writes the whole file under its own name and the last one to finish is recorded; the file of a run
that lost is deleted. Nothing is held locked while the file is written (a minute for a million rows).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..exports import counterparties_by_ids, csv_lines, export_filename, rows_of, write_xlsx
from ..models import Counterparty, Export, ExportFormat, ExportState, Workspace

logger = logging.getLogger(__name__)


def export_request(
    *, workspace: Workspace, user, queryset: QuerySet[Counterparty], file_format: str, filters: dict[str, list[str]]
) -> Export:
    """Store what to export and enqueue the task that writes it, on commit.

    The ids are stored as they match now, in the queryset's order: the file holds what the user asked
    for, whatever changes while it is written. Exports past their retention go first.
    """
    from ..tasks import export_write

    export_prune(before=timezone.now() - settings.EXPORT_RETENTION)
    export = Export.objects.create(
        workspace=workspace,
        requested_by=user,
        file_format=file_format,
        filters=filters,
        counterparty_ids=list(queryset.values_list("pk", flat=True)),
        filename=export_filename(workspace.slug, file_format),
    )
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
    # Scoped to the export's workspace again: the ids were, but the rule holds in every query.
    queryset = Counterparty.objects.filter(workspace=export.workspace)
    counted = _Counted(rows_of(counterparties_by_ids(queryset, export.counterparty_ids or [])))
    with tempfile.TemporaryFile() as scratch:
        if export.file_format == ExportFormat.XLSX:
            write_xlsx(counted, scratch)
        else:
            for line in csv_lines(counted):
                scratch.write(line.encode("utf-8"))
        scratch.seek(0)
        name = default_storage.save(f"exports/{export.workspace_id}/{export.pk}-{export.filename}", File(scratch))
    return name, counted.count


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
