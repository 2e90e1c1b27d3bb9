"""Monitoring runs: one row per fan-out, one row per counterparty it re-checks.

A MonitoringRun keeps the totals operators read in the admin; a Recheck row per (run, counterparty) is the
claim marker, the exactly-once guard for those totals, and what a workspace's monitoring page aggregates
(users see their own counterparties' share of a run, never another workspace's numbers).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from crm.models import Counterparty, MonitoringFrequency, VerificationCheck, Workspace


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "The daily schedule"
    COMMAND = "command", "run_monitoring"
    COMMAND_SYNC = "command_sync", "run_monitoring --sync"


class MonitoringRun(models.Model):
    """One fan-out and, as its re-checks finish, what they found."""

    trigger = models.CharField(max_length=16, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE)
    # Counterparties due at this instant belong to the run; their next due time is counted from it.
    started_at = models.DateTimeField(default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True, help_text="Every due counterparty was enqueued.")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Every re-check of the run has finished.")
    # Totals. `due` is counted when the run starts; the others grow with F() updates as work is done.
    due = models.PositiveIntegerField(default=0, help_text="Monitored counterparties due when the run started.")
    enqueued = models.PositiveIntegerField(default=0, help_text="Re-check messages sent.")
    checked = models.PositiveIntegerField(default=0, help_text="Re-checks that got a definitive answer.")
    changed = models.PositiveIntegerField(
        default=0, help_text="Counterparties whose validity, name or address changed."
    )
    unverified = models.PositiveIntegerField(default=0, help_text="Re-checks still unverified after every retry.")
    retried = models.PositiveIntegerField(default=0, help_text="Unverified attempts that were retried.")
    skipped = models.PositiveIntegerField(default=0, help_text="Monitoring turned off before the re-check ran.")
    alerts = models.PositiveIntegerField(default=0, help_text="Alerts created.")

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Monitoring run {self.pk} at {self.started_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None

    def next_due_for(self, frequency: str) -> datetime | None:
        """When a counterparty re-checked by this run is due again.

        Counted from the run's start, not from the moment its re-check ran, so that the due times do not
        drift later every day; minus a tolerance, so that tomorrow's run finds it due even if it starts a
        little earlier than today's did (a backlog delayed today's fan-out, or the crontab was moved).
        """
        interval = MonitoringFrequency(frequency).interval
        if interval is None:
            return None
        return self.started_at + interval - settings.MONITORING_SCHEDULE_TOLERANCE

    def summary(self) -> str:
        """The one line logged when the run completes and printed by run_monitoring."""
        took = f" in {self.duration.total_seconds():.1f}s" if self.duration else ""
        return (
            f"monitoring run {self.pk} ({self.trigger}) {'finished' if self.is_finished else 'in progress'}{took}: "
            f"due={self.due} enqueued={self.enqueued} checked={self.checked} changed={self.changed} "
            f"unverified={self.unverified} retried={self.retried} skipped={self.skipped} alerts={self.alerts}"
        )


class RecheckOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    CHECKED = "checked", "Checked"
    UNVERIFIED = "unverified", "Unverified after every retry"
    SKIPPED = "skipped", "Skipped (monitoring turned off)"


class Recheck(models.Model):
    """One counterparty's re-check within one run: claimed by the fan-out, finished once by a task."""

    run = models.ForeignKey(MonitoringRun, on_delete=models.CASCADE, related_name="rechecks")
    counterparty = models.ForeignKey(Counterparty, on_delete=models.CASCADE, related_name="+")
    # Denormalised from the counterparty so a workspace's share of a run is one indexed GROUP BY.
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=12, choices=RecheckOutcome.choices, default=RecheckOutcome.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    changed = models.BooleanField(default=False)
    alerts = models.PositiveSmallIntegerField(default=0)
    last_check = models.ForeignKey(
        VerificationCheck, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # A counterparty is claimed at most once per run.
            models.UniqueConstraint(fields=["run", "counterparty"], name="recheck_once_per_run"),
        ]
        indexes = [
            models.Index(fields=["workspace", "run"], name="recheck_workspace_run"),
            # "Is anything of this run still pending?" after every re-check: only pending rows are indexed.
            models.Index(fields=["run"], condition=models.Q(finished_at__isnull=True), name="recheck_pending"),
        ]

    def __str__(self) -> str:
        return f"Re-check of counterparty {self.counterparty_id} in run {self.run_id}: {self.outcome}"
