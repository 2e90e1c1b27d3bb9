"""Batches: up to 10,000 numbers verified in the background, followed by a job id, its progress and results.

A batch is rows, as an import is: each item is a row, verified in chunks by Celery tasks through the same
path as every check (crm's `run_verification`, hence the shared registry limit, with an idempotency key per
item so that a chunk run twice stores each check once). The position is the items that have a check, so a
lost message or a restarted worker loses nothing: the sweep sends an idle chunk again (api/services/batches.py).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import VerificationCheck, Workspace

from .keys import ApiKey

MAX_ITEMS = 10_000


class BatchStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class Batch(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("API key")
    )
    status = models.CharField(
        max_length=8, choices=BatchStatus.choices, default=BatchStatus.RUNNING, verbose_name=_("status")
    )
    total = models.PositiveIntegerField(default=0, verbose_name=_("numbers"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    # Set by every chunk that makes progress: the sweep sends again a running batch idle for too long.
    progressed_at = models.DateTimeField(default=timezone.now, verbose_name=_("progressed at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("batch of checks")
        verbose_name_plural = _("batches of checks")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["progressed_at"], condition=models.Q(status="running"), name="batch_running")]

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.status}, {self.total} items)"


class BatchItem(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items", verbose_name=_("batch of checks"))
    position = models.PositiveIntegerField(verbose_name=_("position"))
    submitted = models.CharField(max_length=64, verbose_name=_("as submitted"))  # as the client sent it
    vat_number = models.CharField(
        max_length=20, blank=True, verbose_name=_("vat number")
    )  # normalised; empty when refused
    name = models.CharField(max_length=200, blank=True, verbose_name=_("name"))
    # Why the number was refused without asking a registry (it cannot be a VAT number).
    refused = models.TextField(blank=True, verbose_name=_("refused because"))
    check_run = models.ForeignKey(
        VerificationCheck, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("check")
    )
    done_at = models.DateTimeField(null=True, blank=True, verbose_name=_("done at"))

    class Meta:
        verbose_name = _("batch item")
        verbose_name_plural = _("batch items")
        ordering = ["batch", "position"]
        constraints = [models.UniqueConstraint(fields=["batch", "position"], name="batch_item_once_per_position")]
        indexes = [models.Index(fields=["batch", "position"], condition=models.Q(done_at=None), name="batch_item_open")]

    def __str__(self) -> str:
        return f"Item {self.position} of batch {self.batch_id}"
