"""Reads for monitoring's pages: a workspace's share of the runs, a counterparty's card, the schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from crm.models import Alert, Counterparty, MonitoringFrequency, Workspace

from .models import MonitoringRun, Recheck, RecheckOutcome
from .schedule import daily_run_task, next_check_at, next_run_at  # noqa: F401 (the pages read the schedule here)


@dataclass(frozen=True)
class WorkspaceShare:
    """One run as a workspace sees it: only its own counterparties' numbers."""

    run: MonitoringRun
    rechecked: int
    checked: int
    unverified: int
    skipped: int
    missed: int
    changed: int
    alerts: int

    @property
    def pending(self) -> int:
        return self.rechecked - self.checked - self.unverified - self.skipped - self.missed


def runs_for_workspace(workspace: Workspace) -> QuerySet[MonitoringRun]:
    """Runs that re-checked at least one of the workspace's counterparties: the only runs it may see.

    An EXISTS per run (a probe of the (workspace, run) index) rather than the set of the workspace's runs:
    the runs table is small, a big workspace's Recheck rows are not.
    """
    return MonitoringRun.objects.filter(Exists(Recheck.objects.filter(run=OuterRef("pk"), workspace=workspace)))


def workspace_shares(workspace: Workspace, runs: list[MonitoringRun]) -> list[WorkspaceShare]:
    """The workspace's numbers for each of `runs`, in one GROUP BY over its Recheck rows."""
    totals = {
        row["run_id"]: row
        for row in Recheck.objects.filter(workspace=workspace, run__in=runs)
        .values("run_id")
        .annotate(
            rechecked=Count("id"),
            checked=Count("id", filter=Q(outcome=RecheckOutcome.CHECKED)),
            unverified=Count("id", filter=Q(outcome=RecheckOutcome.UNVERIFIED)),
            skipped=Count("id", filter=Q(outcome=RecheckOutcome.SKIPPED)),
            missed=Count("id", filter=Q(outcome=RecheckOutcome.MISSED)),
            changed=Count("id", filter=Q(changed=True)),
            alerts=Sum("alerts"),
        )
    }
    keys = ("rechecked", "checked", "unverified", "skipped", "missed", "changed", "alerts")
    return [WorkspaceShare(run=run, **{key: totals.get(run.pk, {}).get(key) or 0 for key in keys}) for run in runs]


def run_rechecks(workspace: Workspace, run: MonitoringRun) -> QuerySet[Recheck]:
    return (
        Recheck.objects.filter(workspace=workspace, run=run)
        .select_related("counterparty", "last_check")
        .order_by("-changed", "outcome", "counterparty__name", "id")
    )


def run_alerts(workspace: Workspace, run: MonitoringRun) -> QuerySet[Alert]:
    """The alerts this run raised in the workspace: their checks carry the run in their idempotency key."""
    from .services import run_key_prefix

    return Alert.objects.filter(
        workspace=workspace, check_run__idempotency_key__startswith=run_key_prefix(run.pk)
    ).select_related("counterparty")


@dataclass(frozen=True)
class Card:
    counterparty: Counterparty
    next_check_at: datetime | None  # the run that will re-check it
    schedule_paused: bool  # monitored, but the daily run is disabled or gone
    changes: list[Alert]
    frequencies: list[tuple[str, str]]


def monitoring_card(counterparty: Counterparty, *, history: int = 20) -> Card:
    next_check = next_check_at(counterparty)
    return Card(
        counterparty=counterparty,
        next_check_at=next_check,
        schedule_paused=counterparty.is_monitored and next_check is None,
        changes=list(counterparty.alerts.select_related("check_run").order_by("-created_at", "-id")[:history]),
        frequencies=[
            (value, label) for value, label in MonitoringFrequency.choices if value != MonitoringFrequency.OFF
        ],
    )
