"""Monitoring runs: one row per fan-out, one row per counterparty it re-checks.

A MonitoringRun keeps the totals operators read in the admin; a Recheck row per (run, counterparty) is the
claim marker, the exactly-once guard for those totals, and what a workspace's monitoring page aggregates
(users see their own counterparties' share of a run, never another workspace's numbers).

The rows are the truth and a broker message only a hint: a Recheck row says when its current attempt was
due, published and picked up by a worker, so that the reconciler (services/reconcile.py) can tell a
message that was lost from one that is only waiting, and send it again.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Counterparty, MonitoringFrequency, VerificationCheck, Workspace
from crm.vocabulary import when


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("The daily schedule")
    COMMAND = "command", "run_monitoring"
    COMMAND_SYNC = "command_sync", "run_monitoring --sync"
    OWNER = "owner", _("An owner's run now")


class MonitoringRun(models.Model):
    """One fan-out and, as its re-checks finish, what they found."""

    trigger = models.CharField(
        max_length=16, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE, verbose_name=_("trigger")
    )
    # Set for a run an owner started for their own workspace: it re-checks that workspace's monitored
    # counterparties only. None for the scheduled runs, which take every workspace's due ones.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("workspace")
    )
    # Counterparties due at this instant belong to the run; their next due time is counted from it.
    started_at = models.DateTimeField(default=timezone.now, verbose_name=_("started at"))
    fanned_out_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Every due counterparty was enqueued."), verbose_name=_("fanned out at")
    )
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Every re-check of the run has finished."), verbose_name=_("finished at")
    )
    # Totals. `due` is counted when the run starts, `enqueued` by each chunk of the fan-out, `redispatched`
    # by the reconciler; the outcome totals are counted from the Recheck rows when the run ends (no
    # re-check writes this row: it would be one hot row for a whole night). See totals().
    due = models.PositiveIntegerField(
        default=0, help_text=_("Monitored counterparties due when the run started."), verbose_name=_("due")
    )
    enqueued = models.PositiveIntegerField(
        default=0,
        help_text=_("Counterparties claimed; each has a Recheck row and is re-checked once by the run."),
        verbose_name=_("enqueued"),
    )
    checked = models.PositiveIntegerField(
        default=0, help_text=_("Re-checks that got a definitive answer."), verbose_name=_("checked")
    )
    changed = models.PositiveIntegerField(
        default=0, help_text=_("Counterparties whose validity, name or address changed."), verbose_name=_("changed")
    )
    unverified = models.PositiveIntegerField(
        default=0, help_text=_("Re-checks still unverified after every retry."), verbose_name=_("unverified")
    )
    retried = models.PositiveIntegerField(
        default=0, help_text=_("Unverified attempts that were retried."), verbose_name=_("retried")
    )
    skipped = models.PositiveIntegerField(
        default=0, help_text=_("Monitoring turned off before the re-check ran."), verbose_name=_("skipped")
    )
    alerts = models.PositiveIntegerField(default=0, help_text=_("Alerts created."), verbose_name=_("alerts"))
    missed = models.PositiveIntegerField(
        default=0,
        help_text=_("Re-checks not done when the run's window ended (the run is incomplete)."),
        verbose_name=_("missed"),
    )
    redispatched = models.PositiveIntegerField(
        default=0,
        help_text=_("Re-check messages the reconciler sent again because the first one was lost."),
        verbose_name=_("redispatched"),
    )
    # When the fan-out last claimed a chunk: a fan-out that stops making progress is resumed.
    fan_out_progress_at = models.DateTimeField(null=True, blank=True, verbose_name=_("fan out progress at"))
    # Computed once when the run starts (from the daily schedule), so every re-check of it agrees.
    daily_due_next = models.DateTimeField(
        null=True, blank=True, help_text=_("When a daily counterparty is due again."), verbose_name=_("daily due next")
    )
    weekly_due_next = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When a weekly counterparty is due again."),
        verbose_name=_("weekly due next"),
    )
    incomplete_reason = models.TextField(
        blank=True,
        help_text=_("Why the run ended with re-checks not done; empty for a complete run."),
        verbose_name=_("incomplete reason"),
    )
    owners_told_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the owners of the workspaces concerned were told it is incomplete."),
        verbose_name=_("owners told at"),
    )

    class Meta:
        verbose_name = _("monitoring run")
        verbose_name_plural = _("monitoring runs")
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return _("Monitoring run %(id)s at %(when)s") % {"id": self.pk, "when": when(self.started_at)}

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def is_incomplete(self) -> bool:
        return self.is_finished and bool(self.incomplete_reason)

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None

    def next_due_for(self, frequency: str) -> datetime | None:
        """When a counterparty re-checked by this run is due again (fixed when the run starts).

        See `monitoring.schedule.next_due_after` for the rule; runs stored before the due times were kept
        on the row fall back to the run's start plus the period, minus the tolerance.
        """
        interval = MonitoringFrequency(frequency).interval
        if interval is None:
            return None
        stored = {MonitoringFrequency.DAILY: self.daily_due_next, MonitoringFrequency.WEEKLY: self.weekly_due_next}
        return stored.get(frequency) or self.started_at + interval - settings.MONITORING_SCHEDULE_TOLERANCE

    def totals(self) -> dict[str, int]:
        """The outcome totals, counted from the Recheck rows: one aggregate over the run's rows.

        Every stored attempt is retried or final, so `retried` is the attempts stored less the re-checks
        that ended with a stored check (checked and unverified).
        """
        counts = Recheck.objects.filter(run_id=self.pk).aggregate(
            checked=models.Count("id", filter=models.Q(outcome=RecheckOutcome.CHECKED)),
            unverified=models.Count("id", filter=models.Q(outcome=RecheckOutcome.UNVERIFIED)),
            skipped=models.Count("id", filter=models.Q(outcome=RecheckOutcome.SKIPPED)),
            missed=models.Count("id", filter=models.Q(outcome=RecheckOutcome.MISSED)),
            changed=models.Count("id", filter=models.Q(changed=True)),
            alerts=Coalesce(models.Sum("alerts"), 0),
            attempts=Coalesce(models.Sum("attempts"), 0),
        )
        counts["retried"] = counts.pop("attempts") - counts["checked"] - counts["unverified"]
        return counts

    def with_live_totals(self) -> MonitoringRun:
        """This run with its totals as of now: stored once it has ended, counted from its rows before."""
        if not self.is_finished:
            for name, value in self.totals().items():
                setattr(self, name, value)
        return self

    def summary(self) -> str:
        """The one line logged when the run completes and printed by run_monitoring."""
        self.with_live_totals()
        took = f" in {self.duration.total_seconds():.1f}s" if self.duration else ""
        state = "incomplete" if self.is_incomplete else "finished" if self.is_finished else "in progress"
        line = (
            f"monitoring run {self.pk} ({self.trigger}) {state}{took}: "
            f"due={self.due} enqueued={self.enqueued} checked={self.checked} changed={self.changed} "
            f"unverified={self.unverified} retried={self.retried} skipped={self.skipped} alerts={self.alerts} "
            f"missed={self.missed} redispatched={self.redispatched}"
        )
        return f"{line}; {self.incomplete_reason}" if self.is_incomplete else line


class RecheckOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    CHECKED = "checked", _("Checked")
    UNVERIFIED = "unverified", _("Unverified after every retry")
    SKIPPED = "skipped", _("Skipped (monitoring turned off)")
    MISSED = "missed", _("Not re-checked before the run's window ended")


class Recheck(models.Model):
    """One counterparty's re-check within one run: claimed by the fan-out, finished once by a task."""

    run = models.ForeignKey(MonitoringRun, on_delete=models.CASCADE, related_name="rechecks", verbose_name=_("run"))
    counterparty = models.ForeignKey(
        Counterparty, on_delete=models.CASCADE, related_name="+", verbose_name=_("counterparty")
    )
    # Denormalised from the counterparty so a workspace's share of a run is one indexed GROUP BY.
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    outcome = models.CharField(
        max_length=12, choices=RecheckOutcome.choices, default=RecheckOutcome.PENDING, verbose_name=_("outcome")
    )
    # Stored attempts; the current attempt's number is this count (its idempotency key ends with it).
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    changed = models.BooleanField(default=False, verbose_name=_("changed"))
    alerts = models.PositiveSmallIntegerField(default=0, verbose_name=_("alerts"))
    last_check = models.ForeignKey(
        VerificationCheck,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last check"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    # The current attempt: when it is due (the claim, or a retry's backoff), when its message was last
    # published (None: never, e.g. the broker was down) and when a worker last started it (None: not yet).
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    dispatched_at = models.DateTimeField(null=True, blank=True, verbose_name=_("dispatched at"))
    picked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("picked at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("recheck")
        verbose_name_plural = _("rechecks")
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
        return _("Re-check of counterparty %(id)s in run %(run)s: %(outcome)s") % {
            "id": self.counterparty_id,
            "run": self.run_id,
            "outcome": self.get_outcome_display(),
        }
