"""Import counterparties from a CSV or XLSX file, as the Import page does: preview, then commit.

    python manage.py import_counterparties book.xlsx --workspace acme --dry-run
    python manage.py import_counterparties book.csv --workspace acme --json

The preview's classification is printed (counts, and the refused and duplicate rows with their reasons);
without --dry-run the accepted rows are committed in one transaction and the new counterparties are
verified in the background by the Celery workers. With --dry-run nothing at all is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from crm.models import Workspace
from imports.columns import FIELDS, is_complete
from imports.models import Classification, ImportJob
from imports.reading import UnreadableFile
from imports.services import ImportConflict, job_commit, job_stage

# The JSON object's counts, named as the command has always promised them.
COUNT_NAMES = {
    "new": Classification.NEW,
    "existing": Classification.UNCHANGED,
    "changed": Classification.CHANGED,
    "duplicates": Classification.DUPLICATE,
    "refused": Classification.REFUSED,
}


class DryRun(Exception):
    """Raised to roll the preview back after printing it."""


class Command(BaseCommand):
    help = "Import counterparties from a CSV or XLSX file into a workspace (preview with --dry-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--workspace", metavar="SLUG", required=True, help="the workspace to import into")
        parser.add_argument("--dry-run", action="store_true", help="print the classification, store nothing")
        parser.add_argument("--json", action="store_true", help="print the classification as a JSON object")

    def handle(self, *args, file: str, workspace: str, dry_run: bool, json: bool, **options) -> None:
        target = Workspace.objects.filter(slug=workspace).first()
        if target is None:
            raise CommandError(f"No workspace with the slug {workspace!r}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            with transaction.atomic():
                with path.open("rb") as fileobj:
                    job = job_stage(workspace=target, user=None, fileobj=fileobj, filename=path.name)
                if not is_complete(job.mapping):
                    raise CommandError(self._unmatched(job))
                self._print(job, as_json=json)
                if dry_run:
                    raise DryRun
        except DryRun:
            return
        except UnreadableFile as error:
            raise CommandError(error.message) from error
        try:
            job = job_commit(job=job, user=None)
        except ImportConflict as error:
            raise CommandError(
                "The CRM changed while the import was written; nothing was saved. Run it again."
            ) from error
        if not json:
            self.stdout.write(
                f"imported as import {job.pk}: {job.to_verify} new counterparties are verified in the background"
            )

    def _unmatched(self, job: ImportJob) -> str:
        known = ", ".join(f"'{field.label}'" for field in FIELDS)
        return (
            f"No column of {job.filename} is recognised as the VAT number (headers: {', '.join(job.headers)}). "
            f"Name the columns {known}, or map them on the Import page."
        )

    def _print(self, job: ImportJob, *, as_json: bool) -> None:
        counts = {name: job.count(value) for name, value in COUNT_NAMES.items()}
        rows = job.rows.order_by("line")
        if as_json:
            payload = {**counts, "rows": [_row_payload(row) for row in rows.iterator(chunk_size=2000)]}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{job.filename}: {job.counts.get('rows', 0)} rows — "
            + ", ".join(f"{name} {count}" for name, count in counts.items())
        )
        for row in rows.filter(classification__in=[Classification.REFUSED, Classification.DUPLICATE]).iterator():
            self.stdout.write(f"  row {row.line}: {row.get_classification_display()} — {row.reason}")
        for row in rows.filter(classification=Classification.CHANGED).iterator():
            changes = ", ".join(f"{name}: {old!r} -> {new!r}" for name, (old, new) in row.changes.items())
            self.stdout.write(f"  row {row.line}: {row.vat_number} would change {changes}")


def _row_payload(row) -> dict:
    return {
        "line": row.line,
        "vat_number": row.vat_number,
        "classification": row.classification,
        "name": row.name,
        "reason": row.reason,
        "warning": row.warning,
        "changes": row.changes,
    }
