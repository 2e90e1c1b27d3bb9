"""An export too large to answer within a request: a row that a Celery task fills with the file.

The request stores what to export (the list's filters, or the ids of a selection; for the audit export of
checks, its days and the newest check it may hold), enqueues the task and shows a page that polls this row;
the task writes the file to the default storage and marks the row done.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .workspaces import Workspace


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", _("Excel (XLSX)")


class ExportKind(models.TextChoices):
    COUNTERPARTIES = "counterparties", _("Counterparties")
    CHECKS = "checks", _("Checks (audit export)")


class ExportState(models.TextChoices):
    PENDING = "pending", _("Waiting for a worker")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class Export(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="exports", verbose_name=_("workspace")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    kind = models.CharField(
        max_length=16, choices=ExportKind.choices, default=ExportKind.COUNTERPARTIES, verbose_name=_("kind")
    )
    file_format = models.CharField(max_length=4, choices=ExportFormat.choices, verbose_name=_("file format"))
    # The list's query string as {name: [values]} (the same filters the page applied), and, for an
    # "export the selection", the ids ticked: what the task turns back into the queryset.
    filters = models.JSONField(default=dict, blank=True, verbose_name=_("filters"))
    counterparty_ids = models.JSONField(null=True, blank=True, verbose_name=_("counterparty ids"))
    # An audit export's checks are its filters' days up to this check: those made while the file is written
    # are not in it (check ids only grow).
    up_to_check_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("up to check id"))
    expected_rows = models.PositiveIntegerField(
        default=0, help_text=_("The rows that matched when it was asked for."), verbose_name=_("expected rows")
    )
    state = models.CharField(
        max_length=8, choices=ExportState.choices, default=ExportState.PENDING, verbose_name=_("state")
    )
    rows = models.PositiveIntegerField(default=0, verbose_name=_("rows"))
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True, verbose_name=_("file"))
    filename = models.CharField(
        max_length=200, blank=True, help_text=_("The name the download is offered under."), verbose_name=_("filename")
    )
    error = models.TextField(blank=True, verbose_name=_("error"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="export_workspace_recent")]

    def __str__(self) -> str:
        return _("Export %(id)s (%(format)s, %(state)s)") % {
            "id": self.pk,
            "format": self.get_file_format_display(),
            "state": self.get_state_display(),
        }

    @property
    def is_finished(self) -> bool:
        return self.state in (ExportState.DONE, ExportState.FAILED)

    @property
    def expected(self) -> int:
        """How many rows the file will have (an export stored before `expected_rows` counts its ids)."""
        return self.expected_rows or len(self.counterparty_ids or [])
