"""Verifying what an import created, in the background, without starving people's own checks.

Pacing: the new counterparties are cut into chunks (IMPORT_VERIFY_CHUNK_SIZE); one task verifies one chunk,
one check after another, through crm's `run_verification` and so through the shared registry limit, at
the limiter's background priority (a person's Verify waiting for the same slot is served first). At most
IMPORT_VERIFY_IN_FLIGHT_PER_WORKSPACE chunks of a workspace are in flight at once, so one import holds at
most that many of a member state's registry slots and a person's Verify finds the others free. The
dispatch locks the workspace's verifying jobs, so two chunks finishing at once cannot both fill the last
place.

Nothing lost: after each stored check, a chunk's `position` advances in one conditional UPDATE and the
check's outcome is written on the counterparty's ImportedCounterparty row, in one transaction; each check
has an idempotency key (`import:<job>:<counterparty>`), so a chunk run again (a redelivered message, a
worker killed mid-chunk) asks the registry only for what is not stored, and a row holds one outcome
however often it is written. A chunk whose message is lost (dispatched, never picked up) or whose worker
died (picked, silent for the lease) is sent again by the reconciler: beat every minute, and the progress
page on demand. The same tick sends again the reading of an upload still unread (services/upload.py).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from crm.models import CheckStatus, CheckTrigger, Counterparty, VerificationCheck
from crm.services import CounterpartyInput, run_verification
from verification.ratelimit import Priority, registry_priority
from verification.vat import InvalidVatNumber, normalise_vat

from ..models import ImportChunk, ImportedCounterparty, ImportJob, JobStatus, check_key
from ..signals import import_finished

logger = logging.getLogger(__name__)


def chunks_dispatch(*, workspace_id: int) -> int:
    """Send the workspace's next chunks, up to the in-flight bound; returns how many were sent."""
    from ..tasks import import_verify_chunk

    now = timezone.now()
    with transaction.atomic():
        jobs = list(
            ImportJob.objects.select_for_update()
            .filter(workspace_id=workspace_id, status=JobStatus.VERIFYING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not jobs:
            return 0
        open_chunks = ImportChunk.objects.filter(workspace_id=workspace_id, finished_at=None)
        room = settings.IMPORT_VERIFY_IN_FLIGHT_PER_WORKSPACE - open_chunks.exclude(dispatched_at=None).count()
        if room <= 0:
            return 0
        sent = list(
            open_chunks.filter(dispatched_at=None).order_by("job_id", "number").values_list("pk", flat=True)[:room]
        )
        ImportChunk.objects.filter(pk__in=sent).update(dispatched_at=now)
        transaction.on_commit(lambda: [import_verify_chunk.delay(pk) for pk in sent])
    return len(sent)


@dataclass(frozen=True)
class ChunkOutcome:
    checked: int = 0
    finished: bool = False
    handed_over: bool = False  # the time budget ran out: the chunk was sent again to go on


def chunk_verify(*, chunk_id: int) -> ChunkOutcome:
    """Verify the chunk's counterparties from its position on; quiet if another worker holds it."""
    now = timezone.now()
    lease = timedelta(seconds=settings.IMPORT_VERIFY_LEASE_SECONDS)
    claimed = (
        ImportChunk.objects.filter(pk=chunk_id, finished_at=None)
        .filter(Q(picked_at=None) | Q(picked_at__lt=now - lease))
        .update(picked_at=now)
    )
    if not claimed:
        return ChunkOutcome()  # finished, gone, or held by a live worker: this message is a duplicate
    chunk = ImportChunk.objects.select_related("job__workspace", "job__committed_by").get(pk=chunk_id)
    deadline = time.monotonic() + settings.IMPORT_VERIFY_TASK_BUDGET_SECONDS
    checked = 0
    while chunk.position < chunk.size:
        if checked and time.monotonic() > deadline:  # at least one check per message: always progress
            return _hand_over(chunk, checked)
        counterparty_id = chunk.counterparty_ids[chunk.position]
        status, check = _verify_one(chunk.job, counterparty_id)
        with transaction.atomic():
            moved = ImportChunk.objects.filter(pk=chunk.pk, position=chunk.position, finished_at=None).update(
                position=F("position") + 1, picked_at=timezone.now()
            )
            if not moved:
                return ChunkOutcome(checked)  # the lease ran out and another worker took the chunk over
            if status:
                ImportedCounterparty.objects.filter(job_id=chunk.job_id, counterparty_id=counterparty_id).update(
                    status=status, check_run=check
                )
        chunk.position += 1
        checked += 1
    _finish(chunk)
    return ChunkOutcome(checked, finished=True)


def _verify_one(job: ImportJob, counterparty_id: int) -> tuple[str | None, VerificationCheck | None]:
    """The check's status and the check; no status when the counterparty was deleted since the commit."""
    counterparty = Counterparty.objects.filter(pk=counterparty_id, workspace_id=job.workspace_id).first()
    if counterparty is None:
        return None, None
    try:
        vat = normalise_vat(counterparty.vat_number)
    except InvalidVatNumber:  # stored before a rule changed: nothing to ask a registry
        return CheckStatus.INVALID, None
    # Background priority: a person's own check waiting for the same member state's slot goes first.
    with registry_priority(Priority.BACKGROUND):
        check = run_verification(
            workspace=job.workspace,
            vat=vat,
            entered=CounterpartyInput(name=counterparty.name, address=counterparty.address),
            user=job.committed_by,
            trigger=CheckTrigger.IMPORT,
            idempotency_key=check_key(job.pk, counterparty_id),
        )
    return check.overall_status, check


def _hand_over(chunk: ImportChunk, checked: int) -> ChunkOutcome:
    """Stop well inside the task's time limits and let a new message go on from the position."""
    from ..tasks import import_verify_chunk

    ImportChunk.objects.filter(pk=chunk.pk, finished_at=None).update(picked_at=None, dispatched_at=timezone.now())
    import_verify_chunk.delay(chunk.pk)
    return ChunkOutcome(checked, handed_over=True)


def _finish(chunk: ImportChunk) -> None:
    now = timezone.now()
    with transaction.atomic():
        ImportChunk.objects.filter(pk=chunk.pk, finished_at=None).update(finished_at=now)
        _complete_if_done(chunk.job_id, now)
    chunks_dispatch(workspace_id=chunk.workspace_id)


# Atomic: the job's end and what its listeners write in import_finished (the webhooks' outbox) commit
# together, also when the reconciler, outside any transaction, is the one that finds the job done.
@transaction.atomic
def _complete_if_done(job_id: int, now: datetime) -> bool:
    with transaction.atomic():
        # The job's row lock first. Two last chunks finishing at the same instant each mark themselves
        # finished, then look for an unfinished chunk: without the lock each would still see the other's
        # uncommitted, and neither would finish the job. With it, the second waits for the first's commit,
        # and its look (a new snapshot) finds every chunk finished.
        if not ImportJob.objects.select_for_update().filter(pk=job_id, status=JobStatus.VERIFYING).values("pk"):
            return False
        if ImportChunk.objects.filter(job_id=job_id, finished_at=None).exists():
            return False
        done = ImportJob.objects.filter(pk=job_id, status=JobStatus.VERIFYING).update(
            status=JobStatus.DONE, finished_at=now
        )
        if done:  # the conditional update: of two finishing chunks or reconcilers, one announces it
            logger.info("import %s: every new counterparty verified", job_id)
            import_finished.send(sender=ImportJob, job_id=job_id)
    return bool(done)


# --- the reconciler -----------------------------------------------------------------------------------
def job_reconcile(*, job: ImportJob, now: datetime | None = None) -> int:
    """Send again the job's chunks whose message or worker was lost, finish it if done; returns how many."""
    from ..tasks import import_verify_chunk

    now = now or timezone.now()
    if job.status != JobStatus.VERIFYING:
        return 0
    lost = list(_lost(job.chunks.all(), now).values_list("pk", "dispatched_at", "picked_at"))
    sent = 0
    for pk, dispatched_at, picked_at in lost:
        # Conditional on what we read: of two reconcilers (beat and a page), one sends it.
        if ImportChunk.objects.filter(pk=pk, dispatched_at=dispatched_at, picked_at=picked_at).update(
            dispatched_at=now, picked_at=None
        ):
            import_verify_chunk.delay(pk)
            sent += 1
    if sent:
        logger.warning("import %s: %s chunks sent again (message or worker lost)", job.pk, sent)
    _complete_if_done(job.pk, now)
    chunks_dispatch(workspace_id=job.workspace_id)
    return sent


def _lost(chunks: QuerySet[ImportChunk], now: datetime) -> QuerySet[ImportChunk]:
    grace = timedelta(seconds=settings.IMPORT_RECONCILE_GRACE_SECONDS)
    lease = timedelta(seconds=settings.IMPORT_VERIFY_LEASE_SECONDS)
    return chunks.filter(finished_at=None).filter(
        Q(picked_at=None, dispatched_at__lt=now - grace) | Q(picked_at__lt=now - lease)
    )


def imports_reconcile(*, now: datetime | None = None) -> int:
    """One beat tick: every verifying job reconciled, unread uploads sent to be read again; previews never
    committed (and uploads that could not be read) deleted after the retention, with their stored files."""
    from .upload import readings_reconcile, upload_delete

    now = now or timezone.now()
    sent = sum(job_reconcile(job=job, now=now) for job in ImportJob.objects.filter(status=JobStatus.VERIFYING))
    sent += readings_reconcile(now=now)
    retention = timedelta(days=settings.IMPORT_STAGED_RETENTION_DAYS)
    old = ImportJob.objects.filter(committed_at=None, created_at__lt=now - retention)
    for job in old.exclude(upload="").only("pk", "upload"):
        upload_delete(job)
    old.delete()
    return sent
