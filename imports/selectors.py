"""Reads of an import: its progress (summed over its chunks) and its rows for the report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import batched

from django.db.models import Sum
from django.utils import timezone

from crm.models import Counterparty, VerificationCheck

from .models import Classification, ImportJob, ImportRow, JobStatus, check_key

REPORT_BATCH = 2000


@dataclass(frozen=True)
class Progress:
    status: str
    to_verify: int
    valid: int
    invalid: int
    unverified: int
    error: int
    estimated_finish: datetime | None

    @property
    def done(self) -> int:
        return self.valid + self.invalid + self.unverified + self.error

    @property
    def left(self) -> int:
        return max(0, self.to_verify - self.done)

    @property
    def finished(self) -> bool:
        return self.status == JobStatus.DONE

    def as_json(self) -> dict:
        return {
            "status": self.status,
            "finished": self.finished,
            "to_verify": self.to_verify,
            "done": self.done,
            "valid": self.valid,
            "invalid": self.invalid,
            "unverified": self.unverified,
            "error": self.error,
            "left": self.left,
            "estimated_finish": self.estimated_finish.isoformat() if self.estimated_finish else None,
        }


def job_progress(job: ImportJob, *, now: datetime | None = None) -> Progress:
    """What the background verification has done so far; the finish estimated from its pace since the commit."""
    now = now or timezone.now()
    sums = job.chunks.aggregate(
        valid=Sum("valid"), invalid=Sum("invalid"), unverified=Sum("unverified"), error=Sum("error")
    )
    counts = {name: int(value or 0) for name, value in sums.items()}
    done = sum(counts.values())
    left = max(0, job.to_verify - done)
    estimate = None
    if job.status == JobStatus.DONE:
        estimate = job.finished_at
    elif done and left and job.committed_at:
        estimate = now + (now - job.committed_at) / done * left
    return Progress(status=job.status, to_verify=job.to_verify, estimated_finish=estimate, **counts)


@dataclass(frozen=True)
class ReportLine:
    row: ImportRow
    check: VerificationCheck | None  # this import's check of the counterparty the row created


def report_lines(job: ImportJob) -> Iterator[ReportLine]:
    """Every row of the job, in file order, with the check this import made of it: flat memory, few queries."""
    rows = job.rows.order_by("line").iterator(chunk_size=REPORT_BATCH)
    for batch in batched(rows, REPORT_BATCH):
        new = [row.vat_number for row in batch if row.classification == Classification.NEW]
        ids = dict(
            Counterparty.objects.filter(workspace_id=job.workspace_id, vat_number__in=new).values_list(
                "vat_number", "pk"
            )
        )
        keys = {check_key(job.pk, pk): number for number, pk in ids.items()}
        checks = {
            keys[check.idempotency_key]: check
            for check in VerificationCheck.objects.filter(idempotency_key__in=keys).only(
                "idempotency_key", "overall_status", "consultation_number", "finished_at", "started_at"
            )
        }
        for row in batch:
            check = checks.get(row.vat_number) if row.classification == Classification.NEW else None
            yield ReportLine(row, check)
