"""Writes of the imports app: staging a file (preview), committing it, verifying what it added."""

from .commit import ImportConflict, job_commit
from .preview import job_map, job_stage
from .verify import chunk_verify, chunks_dispatch, imports_reconcile, job_reconcile

__all__ = [
    "ImportConflict",
    "chunk_verify",
    "chunks_dispatch",
    "imports_reconcile",
    "job_commit",
    "job_map",
    "job_reconcile",
    "job_stage",
]
