"""Staging a file: its rows stored on an ImportJob and classified against the CRM, which is not touched.

Everything happens in one transaction: the file is read as it is stored, so an unreadable row, a row past
the limit or a truncated file found at the end rolls back every row before it; the person sees a message
and no partial state. The Import page has this done by a worker (services/upload.py); the shell command
does it in its own process (`job_stage`). Rows are read, classified and inserted a batch at a time, so memory
stays flat however long the file (docs/benchmarks.md, `import_speed`).

Classification, in this order for each row: refused (the normalisation's reason, or a cell we cannot
take); duplicate (an earlier row of the file has the same VAT number); refused again if its external
reference belongs to another number (in the file or in the CRM); else already in the CRM (changed or
unchanged, compared with what the commit would write) or new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import batched
from typing import IO

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from crm.models import Counterparty, Workspace

from ..columns import is_complete, match_headers
from ..models import Classification, ImportJob, ImportRow, JobStatus
from ..reading import Table, UnreadableFile, read_table
from ..rows import RowData, interpret, stored_cells

BATCH = 1000


def job_stage(*, workspace: Workspace, user: AbstractBaseUser | None, fileobj: IO[bytes], filename: str) -> ImportJob:
    """Read the file into a staged job (or one waiting for its column mapping), in this process.

    The shell command's way (and the tests'); the Import page stores the file and has a worker read it
    (services/upload.py). Raises UnreadableFile, with nothing stored.
    """
    table = read_table(fileobj, filename)
    with transaction.atomic():
        job = ImportJob.objects.create(
            workspace=workspace,
            created_by=user,
            filename=filename[-200:],
            file_format=table.file_format,
            status=JobStatus.READING,
            language=translation.get_language() or "",
        )
        stage_table(job, table)
    return job


def stage_table(job: ImportJob, table: Table, *, on_batch: Callable[[int], None] | None = None) -> None:
    """Store the table's rows on the job, classified when the headers say which column is what.

    In the caller's transaction: the rows are read as they are stored, so an UnreadableFile raised at the
    last row must roll back every row before it. `on_batch` is told how many rows are stored so far.
    """
    mapping = match_headers(table.headers)
    complete = is_complete(mapping)
    job.file_format, job.encoding, job.delimiter = table.file_format, table.encoding, table.delimiter
    job.headers, job.mapping = table.headers, mapping
    job.status = JobStatus.STAGED if complete else JobStatus.MAPPING
    job.counts = _store(job, table.rows, mapping if complete else None, on_batch)
    if not job.counts.get("rows"):
        raise UnreadableFile(_("The file has a header row but no rows below it: nothing to import."))
    job.save(update_fields=["file_format", "encoding", "delimiter", "headers", "mapping", "status", "counts"])


@transaction.atomic
def job_map(*, job: ImportJob, mapping: dict[str, int]) -> ImportJob:
    """Classify a job's rows again through a person's choice of columns (before it is committed)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.is_committed or job.status in (JobStatus.READING, JobStatus.FAILED):
        return job  # nothing to map: committed, not read yet, or unreadable
    cells = list(job.rows.order_by("line").values_list("line", "cells"))
    job.rows.all().delete()
    job.mapping = mapping
    job.status = JobStatus.STAGED
    job.counts = _store(job, iter(cells), mapping)
    job.save(update_fields=["mapping", "status", "counts"])
    return job


def _store(
    job: ImportJob,
    rows: Iterator[tuple[int, list[str]]],
    mapping: dict[str, int] | None,
    on_batch: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Insert the rows a batch at a time, classified when the mapping is known; returns the counts."""
    classifier = Classifier(job.workspace)
    counts: Counter[str] = Counter()
    limit = settings.IMPORT_MAX_CELL_CHARS
    for batch in batched(rows, BATCH):
        if mapping is None:
            objects = [ImportRow(job=job, line=line, cells=stored_cells(cells, limit)) for line, cells in batch]
        else:
            objects = classifier.classify(job, batch, mapping)
        ImportRow.objects.bulk_create(objects)
        counts.update(row.classification for row in objects if row.classification)
        counts["rows"] += len(objects)
        if on_batch is not None:
            on_batch(counts["rows"])
    return dict(counts)


class Classifier:
    """Classifies batches of one file in order, remembering what earlier batches held."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.seen_vat: dict[str, int] = {}  # VAT number -> first line
        self.seen_reference: dict[str, tuple[str, int]] = {}  # external reference -> (VAT number, line)

    def classify(
        self, job: ImportJob, batch: Iterable[tuple[int, list[str]]], mapping: dict[str, int]
    ) -> list[ImportRow]:
        limit = settings.IMPORT_MAX_CELL_CHARS
        read = [(line, cells, interpret(cells, mapping, cell_limit=limit)) for line, cells in batch]
        found = [data for *_cells, data in read]
        numbers = {data.vat.vat_number for data in found if data.vat and not data.reason}
        existing = {
            counterparty.vat_number: counterparty
            for counterparty in Counterparty.objects.filter(workspace=self.workspace, vat_number__in=numbers)
            .only("vat_number", "name", "address", "external_reference", "monitoring", "archived_at")
            .prefetch_related("tags")
        }
        references = {data.external_reference for data in found if data.external_reference}
        taken = dict(
            Counterparty.objects.filter(workspace=self.workspace, external_reference__in=references).values_list(
                "external_reference", "vat_number"
            )
        )
        return [self._row(job, line, stored_cells(cells, limit), data, existing, taken) for line, cells, data in read]

    def _row(
        self,
        job: ImportJob,
        line: int,
        cells: list[str],
        data: RowData,
        existing: dict[str, Counterparty],
        taken: dict[str, str],
    ) -> ImportRow:
        row = ImportRow(job=job, line=line, cells=cells, reason=data.reason, warning=data.warning)
        if data.reason or data.vat is None:
            row.classification = Classification.REFUSED
            return row
        number = data.vat.vat_number
        row.vat_number = number
        row.name, row.address, row.external_reference = data.name, data.address, data.external_reference
        row.tags, row.monitoring = data.tags, data.monitoring
        if number in self.seen_vat:
            row.classification = Classification.DUPLICATE
            row.reason = _("The same VAT number as row %(line)d; only that row is imported.") % {
                "line": self.seen_vat[number]
            }
            return row
        row.reason = self._reference_conflict(number, data.external_reference, taken)
        if row.reason:
            row.classification = Classification.REFUSED
            return row
        self.seen_vat[number] = line
        if data.external_reference:
            self.seen_reference[data.external_reference] = (number, line)
        counterparty = existing.get(number)
        if counterparty is None:
            row.classification = Classification.NEW
            return row
        row.changes = changes_for(counterparty, row)
        row.classification = Classification.CHANGED if row.changes else Classification.UNCHANGED
        if counterparty.archived_at is not None:
            archived = _("This counterparty is archived; it stays archived.")
            row.warning = f"{row.warning} {archived}".strip()
        return row

    def _reference_conflict(self, number: str, reference: str, taken: dict[str, str]) -> str:
        if not reference:
            return ""
        in_file = self.seen_reference.get(reference)
        if in_file and in_file[0] != number:
            return _("The external reference %(reference)s is also on row %(line)d, with another VAT number.") % {
                "reference": reference,
                "line": in_file[1],
            }
        if taken.get(reference, number) != number:
            return _("The external reference %(reference)s belongs to %(vat)s in the CRM.") % {
                "reference": reference,
                "vat": taken[reference],
            }
        return ""


def changes_for(counterparty: Counterparty, row: ImportRow) -> dict[str, list]:
    """What the commit would change: field -> [in the CRM, from the file]. An empty cell changes nothing."""
    changes: dict[str, list] = {}
    for name in ("name", "address", "external_reference", "monitoring"):
        new = getattr(row, name)
        old = getattr(counterparty, name)
        if new and new != old:
            changes[name] = [old, new]
    current = sorted(tag.name for tag in counterparty.tags.all())
    added = [tag for tag in row.tags if tag not in current]
    if added:
        changes["tags"] = [current, sorted([*current, *added])]
    return changes
