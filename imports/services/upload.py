"""The Import page's upload: the file is stored at once, and a Celery worker reads and classifies it.

Reading a 50,000-row file takes seconds of CPU; a web worker must not be held for it. The request only
looks at what shows at a glance (an empty file, an old .xls, a zip that is not a workbook or would inflate
too far, UTF-16: `reading.sniff`), refuses those in the form as before, stores the file in the default
storage (as exports are) and answers with the job's page, which follows the reading
(`progress.json`, static/js/imports.js) and becomes the preview when it is ready.

The worker's read is one transaction that holds the job's row lock: the rows of a file found unreadable
at its last row are rolled back, and the job is marked FAILED with the message the form would have shown,
in the language of the page it was uploaded from. A second message for the same job (a redelivery, the
reconciler's) finds the row locked or read already and does nothing. The stored file is deleted once it
is read, whatever the outcome.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.models import Workspace

from ..models import ImportJob, JobStatus
from ..reading import UnreadableFile, read_table, sniff
from .preview import stage_table

logger = logging.getLogger(__name__)


def job_upload(*, workspace: Workspace, user: AbstractBaseUser | None, upload: File, filename: str) -> ImportJob:
    """Store the file and have a worker read it (on commit); raises UnreadableFile for what shows at once."""
    from ..tasks import import_read_file

    file_format = sniff(upload, filename)
    # Our own name: the person's file name is kept on the job, never used as a path.
    name = default_storage.save(f"imports/{workspace.pk}/{uuid.uuid4().hex}.{file_format}", upload)
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                workspace=workspace,
                created_by=user,
                filename=filename[-200:],
                file_format=file_format,
                status=JobStatus.READING,
                upload=name,
                language=translation.get_language() or "",
                read_sent_at=timezone.now(),
            )
            transaction.on_commit(lambda: import_read_file.delay(job.pk))
    except BaseException:
        default_storage.delete(name)
        raise
    return job


def job_read(*, job_id: int) -> ImportJob | None:
    """Read a stored upload into the job's rows; None when there is nothing to do (read, gone, or being read)."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(skip_locked=True)
            .select_related("workspace")
            .filter(pk=job_id, status=JobStatus.READING)
            .first()
        )
        if job is None:
            return None
        with translation.override(job.language or settings.LANGUAGE_CODE):
            _read_into(job)
        uploaded, job.upload = job.upload.name, ""
        job.save(update_fields=["upload"])
        if uploaded:
            transaction.on_commit(lambda: default_storage.delete(uploaded))
    _forget_rows_read(job.pk)
    return job


def _read_into(job: ImportJob) -> None:
    """Stage the rows, or mark the job FAILED with the reason and no row (a savepoint rolls them back)."""
    gone = _("The uploaded file is no longer on the server: upload it again.")
    if not job.upload:
        _failed(job, gone)
        return
    try:
        with transaction.atomic(), job.upload.open("rb") as fileobj:
            stage_table(job, read_table(fileobj, job.filename), on_batch=lambda rows: _note_rows_read(job.pk, rows))
    except UnreadableFile as error:
        _failed(job, error.message)
    except (OperationalError, InterfaceError):
        raise  # the database, not the file: the task retries
    except FileNotFoundError:
        logger.warning("import %s: its uploaded file is gone", job.pk)
        _failed(job, gone)
    except Exception:
        # A file that breaks the reader in a way we did not foresee: the person is told, we look at the log.
        logger.exception("import %s: the file could not be read", job.pk)
        _failed(job, _("The file could not be read; the error has been logged. Save it again as CSV or XLSX."))


def _failed(job: ImportJob, message: str) -> None:
    job.status, job.error = JobStatus.FAILED, message
    job.save(update_fields=["status", "error"])


# The rows read so far, for the page that waits: in the cache, because the rows themselves are not
# visible before the reading's transaction commits. A nicety: the reading never fails for it.
def _rows_read_key(job_id: int) -> str:
    return f"imports:rows-read:{job_id}"


def _note_rows_read(job_id: int, rows: int) -> None:
    with contextlib.suppress(Exception):
        cache.set(_rows_read_key(job_id), rows, timeout=3600)


def _forget_rows_read(job_id: int) -> None:
    with contextlib.suppress(Exception):
        cache.delete(_rows_read_key(job_id))


def rows_read(job_id: int) -> int:
    """How many rows the worker reading the job's file has stored so far (0 before it starts)."""
    try:
        return int(cache.get(_rows_read_key(job_id)) or 0)
    except Exception:  # the cache is down: the page still answers
        return 0


def readings_reconcile(*, jobs=None, now: datetime | None = None) -> int:
    """Send again the read of uploads still unread after the grace time (a message lost, a worker killed)."""
    from ..tasks import import_read_file

    now = now or timezone.now()
    grace = timedelta(seconds=settings.IMPORT_RECONCILE_GRACE_SECONDS)
    jobs = ImportJob.objects.all() if jobs is None else jobs
    late = jobs.filter(status=JobStatus.READING, read_sent_at__lt=now - grace)
    sent = []
    for pk in late.values_list("pk", flat=True):
        with transaction.atomic():
            # A job whose file is being read holds its row lock and needs no message: skipped, not waited
            # for. Of two reconcilers (beat and a page), the second finds the time moved and sends nothing.
            if not late.filter(pk=pk).select_for_update(skip_locked=True).only("pk").first():
                continue
            ImportJob.objects.filter(pk=pk).update(read_sent_at=now)
            transaction.on_commit(lambda pk=pk: import_read_file.delay(pk))
        sent.append(pk)
    if sent:
        logger.warning("imports %s: the reading of their file sent again", sent)
    return len(sent)


def upload_delete(job: ImportJob) -> None:
    """Delete the job's stored file, if any, once the transaction that deletes the job commits."""
    if job.upload:
        name = job.upload.name
        transaction.on_commit(lambda: default_storage.delete(name))
