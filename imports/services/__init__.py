"""Writes of the imports app: storing an upload and reading it (preview), committing it, verifying what it
added."""

from .commit import ImportConflict, job_commit
from .preview import job_map, job_stage
from .upload import job_read, job_upload, readings_reconcile, rows_read, upload_delete
from .verify import chunk_verify, chunks_dispatch, imports_reconcile, job_reconcile

__all__ = [
    "ImportConflict",
    "chunk_verify",
    "chunks_dispatch",
    "imports_reconcile",
    "job_commit",
    "job_map",
    "job_read",
    "job_reconcile",
    "job_stage",
    "job_upload",
    "readings_reconcile",
    "rows_read",
    "upload_delete",
]
