"""An import of a team's book: the file's rows, classified, then committed and verified in the background.

An ImportJob is staged first: the uploaded file is stored and a Celery worker reads it (READING), its rows
parsed and stored as ImportRows, each classified against the CRM (new, unchanged, changed, duplicate,
refused), and nothing in the CRM is touched; a file that cannot be read leaves the job FAILED with the
reason and no row. Committing
writes every accepted row in one transaction and cuts the new counterparties into ImportChunks, each
verified by one Celery task. The rows are the truth: a chunk's position and counts are committed after each
check, so a reload, a lost message or a restarted worker resumes where it stopped (services/verify.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import CheckStatus, Counterparty, VerificationCheck, Workspace


class JobStatus(models.TextChoices):
    READING = "reading", _("Reading the file")
    FAILED = "failed", _("Could not be read")
    MAPPING = "mapping", _("Choose the columns")
    STAGED = "staged", _("Preview")
    VERIFYING = "verifying", _("Verifying")
    DONE = "done", _("Done")


class ImportJob(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    filename = models.CharField(max_length=200, verbose_name=_("filename"))
    file_format = models.CharField(max_length=4, verbose_name=_("file format"))  # "csv" or "xlsx"
    # What was detected (CSV only): shown on the preview so that a wrong guess is visible.
    encoding = models.CharField(max_length=20, blank=True, verbose_name=_("encoding"))
    delimiter = models.CharField(max_length=4, blank=True, verbose_name=_("delimiter"))
    status = models.CharField(
        max_length=10, choices=JobStatus.choices, default=JobStatus.STAGED, verbose_name=_("status")
    )
    # The uploaded file while a worker has not read it yet (services/upload.py); emptied once it is read.
    upload = models.FileField(upload_to="imports/", max_length=200, blank=True, verbose_name=_("uploaded file"))
    # When the reading's message was last sent: the reconciler sends it again once this is old.
    read_sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reading sent at"))
    # The language of the page it was uploaded from: the worker writes the rows' reasons in it.
    language = models.CharField(max_length=10, blank=True, verbose_name=_("language"))
    # Why the file could not be read (status FAILED), in that language.
    error = models.TextField(blank=True, verbose_name=_("error"))
    headers = models.JSONField(default=list, verbose_name=_("headers"))
    # Our field -> the index of the file's column that holds it (services/columns.py).
    mapping = models.JSONField(default=dict, verbose_name=_("column mapping"))
    # Per classification, how many rows (see Classification); filled when the rows are classified.
    counts = models.JSONField(default=dict, verbose_name=_("counts"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    committed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("committed at"))
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("committed by"),
    )
    # New counterparties the commit created, each verified once in the background (ImportChunk).
    to_verify = models.PositiveIntegerField(default=0, verbose_name=_("to verify"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="import_job_recent")]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.filename} ({self.status})"

    @property
    def is_committed(self) -> bool:
        return self.committed_at is not None

    def count(self, classification: str) -> int:
        return int(self.counts.get(classification, 0))

    @property
    def accepted(self) -> int:
        """Rows the commit writes something for."""
        return self.count(Classification.NEW) + self.count(Classification.CHANGED)


class Classification(models.TextChoices):
    NEW = "new", _("New")
    UNCHANGED = "unchanged", _("Already in the CRM, unchanged")
    CHANGED = "changed", _("Already in the CRM, would change")
    DUPLICATE = "duplicate", _("Duplicate within the file")
    REFUSED = "refused", _("Refused")


class ImportRow(models.Model):
    """One non-empty row of the file: the cells as read, what they mean, and what the commit does with it."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows", verbose_name=_("import"))
    line = models.PositiveIntegerField(
        help_text=_("The row's number in the file (the header is row 1 or later)."), verbose_name=_("line")
    )
    cells = models.JSONField(default=list, verbose_name=_("cells"))
    classification = models.CharField(
        max_length=10, choices=Classification.choices, blank=True, verbose_name=_("classification")
    )
    vat_number = models.CharField(
        max_length=20, blank=True, help_text=_("Normalised; empty when refused."), verbose_name=_("vat number")
    )
    name = models.CharField(max_length=200, blank=True, verbose_name=_("name"))
    address = models.TextField(blank=True, verbose_name=_("address"))
    external_reference = models.CharField(max_length=100, blank=True, verbose_name=_("external reference"))
    tags = models.JSONField(default=list, blank=True, verbose_name=_("tags"))
    monitoring = models.CharField(max_length=8, blank=True, verbose_name=_("monitoring"))  # empty: not given
    reason = models.TextField(
        blank=True, help_text=_("Why the row is refused, or which row it duplicates."), verbose_name=_("reason")
    )
    warning = models.TextField(blank=True, verbose_name=_("warning"))
    changes = models.JSONField(
        default=dict, blank=True, verbose_name=_("changes")
    )  # field -> [in the CRM, in the file]

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["line"]
        constraints = [models.UniqueConstraint(fields=["job", "line"], name="import_row_once_per_line")]
        indexes = [models.Index(fields=["job", "classification", "line"], name="import_row_by_class")]

    def __str__(self) -> str:
        return f"Row {self.line} of import {self.job_id}: {self.classification}"


class ImportChunk(models.Model):
    """A slice of a committed import's new counterparties, verified in order by one task at a time.

    `position` counterparties of `counterparty_ids` are done (what they gave is on ImportedCounterparty). A
    chunk is dispatched (a message sent), picked (a worker holds it: its lease runs from `picked_at`, renewed
    after every check) and finished.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("import"))
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    number = models.PositiveIntegerField(verbose_name=_("number"))
    counterparty_ids = models.JSONField(default=list, verbose_name=_("counterparty ids"))
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    dispatched_at = models.DateTimeField(null=True, blank=True, verbose_name=_("dispatched at"))
    picked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("picked at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("import chunk")
        verbose_name_plural = _("import chunks")
        ordering = ["job", "number"]
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="import_chunk_once_per_number")]
        indexes = [
            # "What is unfinished in this workspace?" on every dispatch: only unfinished chunks are indexed.
            models.Index(
                fields=["workspace", "job", "number"], condition=models.Q(finished_at=None), name="import_chunk_open"
            ),
        ]

    def __str__(self) -> str:
        return f"Chunk {self.number} of import {self.job_id}: {self.position}/{len(self.counterparty_ids)}"

    @property
    def size(self) -> int:
        return len(self.counterparty_ids)


class ImportedCounterparty(models.Model):
    """A counterparty the commit created, and what this import's check of it gave (blank: not checked yet).

    One row per counterparty, so the progress and the report count each once. They show the latest outcome
    of its verification, not only this import's: once any check of it was definitive (the retry after an
    outage, the next re-check, a person's Verify) the counterparty's status says what it is; until then this
    import's own check (unverified, or an error on our side) does (selectors.py).
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="created", verbose_name=_("import"))
    # Deleted with its counterparty (one with no check yet may be deleted): the chunk's position still moves.
    counterparty = models.ForeignKey(
        Counterparty, on_delete=models.CASCADE, related_name="+", verbose_name=_("counterparty")
    )
    status = models.CharField(max_length=10, choices=CheckStatus.choices, blank=True, verbose_name=_("status"))
    # Kept for the report (its consultation number and time) while no later check was definitive.
    check_run = models.ForeignKey(
        VerificationCheck, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("check")
    )

    class Meta:
        verbose_name = _("imported counterparty")
        verbose_name_plural = _("imported counterparties")
        constraints = [
            models.UniqueConstraint(fields=["job", "counterparty"], name="import_created_once_per_counterparty")
        ]

    def __str__(self) -> str:
        return f"Counterparty {self.counterparty_id} of import {self.job_id}: {self.status or 'waiting'}"


def check_key(job_id: int, counterparty_id: int) -> str:
    """The idempotency key of an import's check: a chunk run twice stores each check once."""
    return f"import:{job_id}:{counterparty_id}"
