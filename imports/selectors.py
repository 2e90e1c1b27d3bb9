"""Reads of an import: its progress and its rows for the report.

Both count each counterparty the import created once (ImportedCounterparty), by the latest outcome of its
verification: the counterparty's status once any check of it was definitive (the retry after an outage,
the next re-check, a person's Verify), else what this import's own check gave. So a row that was
unverified in an outage becomes valid or invalid, in the figures and in the report, when a later check
answers; it is never counted twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import batched

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Sum, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.models import CheckResult, CheckStatus, VerificationCheck
from crm.vocabulary import when

from .models import Classification, ImportJob, ImportRow, JobStatus

REPORT_BATCH = 2000
_COUNTED = (CheckStatus.VALID, CheckStatus.INVALID, CheckStatus.UNVERIFIED)


@dataclass(frozen=True)
class Progress:
    status: str
    to_verify: int
    done: int  # counterparties the chunks have passed (checked, or deleted before their turn)
    valid: int
    invalid: int
    unverified: int
    error: int
    retrying: int  # of the unverified, those whose retry is scheduled: their figure may still change
    estimated_finish: datetime | None

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
            "retrying": self.retrying,
            "left": self.left,
            "estimated_finish": self.estimated_finish.isoformat() if self.estimated_finish else None,
            # The same moment as the page writes it, in the request's language and with its zone.
            "estimated_finish_text": when(self.estimated_finish),
        }


def job_progress(job: ImportJob, *, now: datetime | None = None) -> Progress:
    """What the background verification has done so far; the finish estimated from its pace since the commit."""
    now = now or timezone.now()
    done = int(job.chunks.aggregate(done=Sum("position"))["done"] or 0)
    counts = dict.fromkeys(("valid", "invalid", "unverified", "error"), 0)
    retrying = 0
    outcomes = (
        job.created.exclude(status="")
        .annotate(outcome=Coalesce("counterparty__status", "status"))
        .values("outcome")
        .annotate(rows=Count("pk"), retrying=Count("pk", filter=Q(counterparty__retry_at__isnull=False)))
    )
    for group in outcomes:
        counted = group["outcome"] if group["outcome"] in _COUNTED else "error"
        counts[counted] += group["rows"]
        if counted == CheckStatus.UNVERIFIED:
            retrying += group["retrying"]
    left = max(0, job.to_verify - done)
    estimate = None
    if job.status == JobStatus.DONE:
        estimate = job.finished_at
    elif done and left and job.committed_at:
        estimate = now + (now - job.committed_at) / done * left
    return Progress(
        status=job.status, to_verify=job.to_verify, done=done, retrying=retrying, estimated_finish=estimate, **counts
    )


@dataclass(frozen=True)
class ReportLine:
    row: ImportRow
    # For a row whose counterparty this import created: the latest outcome of its verification, and the
    # check that gave it (its consultation number and time); "" and None otherwise, or while it waits.
    status: str = ""
    check: VerificationCheck | None = None
    waiting: bool = False


def _latest_definitive_check() -> Subquery:
    # The order of Counterparty.latest_definitive_check(), for each row of a batch in one query.
    return Subquery(
        VerificationCheck.objects.filter(
            counterparty_id=OuterRef("counterparty_id"), overall_status__in=CheckStatus.definitive()
        )
        .order_by("-started_at", "-id")
        .values("pk")[:1]
    )


_CHECK_COLUMNS = ("overall_status", "consultation_number", "requester_vat_number", "finished_at", "started_at")
# What crm.consultation.consultation_note reads of a check's results, to say why it has no consultation number.
_NOTE_RESULTS = Prefetch("results", queryset=CheckResult.objects.only("check_run_id", "service", "warnings"))


def report_lines(job: ImportJob) -> Iterator[ReportLine]:
    """Every row of the job, in file order, with the outcome of what it created: flat memory, few queries."""
    rows = job.rows.order_by("line").iterator(chunk_size=REPORT_BATCH)
    for batch in batched(rows, REPORT_BATCH):
        new = [row.vat_number for row in batch if row.classification == Classification.NEW]
        created = {
            item.vat_number: item
            for item in job.created.filter(
                counterparty__workspace_id=job.workspace_id, counterparty__vat_number__in=new
            )
            .annotate(
                vat_number=F("counterparty__vat_number"),
                current=F("counterparty__status"),
                definitive_id=_latest_definitive_check(),
            )
            .select_related("check_run")
            .only("status", "check_run", *(f"check_run__{name}" for name in _CHECK_COLUMNS))
        }
        wanted = [item.definitive_id for item in created.values() if item.status and item.current]
        definitive = VerificationCheck.objects.filter(pk__in=wanted).only(*_CHECK_COLUMNS).in_bulk()
        shown = [*definitive.values(), *(item.check_run for item in created.values() if item.check_run)]
        prefetch_related_objects([check for check in shown if not check.consultation_number], _NOTE_RESULTS)
        for row in batch:
            item = created.get(row.vat_number) if row.classification == Classification.NEW else None
            if item is None:
                yield ReportLine(row)
            elif not item.status:
                yield ReportLine(row, waiting=True)
            elif item.current:
                yield ReportLine(row, item.current, definitive.get(item.definitive_id))
            else:
                yield ReportLine(row, item.status, item.check_run)
