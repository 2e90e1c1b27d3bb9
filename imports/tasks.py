"""The imports' Celery tasks: thin, ids in, quiet when the row is gone.

Names are fixed strings: the reconciler's PeriodicTask row (migration 0002) stores its name.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import chunk_verify, imports_reconcile, job_read

READ_FILE_TASK = "imports.read_file"
VERIFY_CHUNK_TASK = "imports.verify_chunk"
RECONCILE_TASK = "imports.reconcile"
# A database outage is retried with backoff; a message lost anyway is sent again by the reconciler.
_DATABASE_RETRIES = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 120,
    "retry_jitter": True,
}


# Reading 50,000 rows takes about ten seconds, a million empty XLSX rows about thirty; the limits leave room
# for a busy machine (services/upload.py).
@shared_task(
    name=READ_FILE_TASK, acks_late=True, soft_time_limit=600, time_limit=660, max_retries=10, **_DATABASE_RETRIES
)
def import_read_file(job_id: int) -> None:
    """Read and classify an uploaded file into its job's rows."""
    job_read(job_id=job_id)


# The limits sit above the chunk's time budget (IMPORT_VERIFY_TASK_BUDGET_SECONDS) plus one slow check.
@shared_task(
    name=VERIFY_CHUNK_TASK, acks_late=True, soft_time_limit=180, time_limit=240, max_retries=30, **_DATABASE_RETRIES
)
def import_verify_chunk(chunk_id: int) -> None:
    """Verify one chunk of an import's new counterparties, from where it stopped."""
    chunk_verify(chunk_id=chunk_id)


# Every minute (migration 0002); a stale tick is dropped, the next one does the same work.
@shared_task(name=RECONCILE_TASK, acks_late=True, soft_time_limit=50, time_limit=60)
def imports_reconcile_task() -> int:
    """Send again the chunks whose message or worker was lost; finish imports that are done."""
    return imports_reconcile()
