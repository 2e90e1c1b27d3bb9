"""An owner's "run now": a monitoring run of one workspace, started at once, at most once per interval.

The run is an ordinary MonitoringRun that carries its workspace: its fan-out claims only that workspace's
monitored counterparties (runs.due_for_claim), its re-checks, retries, reconciler and due times are the
scheduled run's. Every monitored counterparty of the workspace is made due at the run's start, in the same
transaction that creates the run; the next due time each one gets is the schedule's, so tomorrow's
scheduled run re-checks them again.

The rate limit is enforced here, under a lock on the workspace's row: two owners clicking at once (or one
clicking twice) start one run, and the second is told when the next one may start.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.models import Counterparty, MonitoringFrequency, Workspace

from ..models import MonitoringRun, RunTrigger
from ..schedule import daily_run_task, next_due_after


class RunNowTooSoon(Exception):
    def __init__(self, next_allowed_at: datetime) -> None:
        super().__init__(f"the workspace's last run started less than the interval ago; next at {next_allowed_at}")
        self.next_allowed_at = next_allowed_at


def workspace_run_next_allowed(workspace: Workspace) -> datetime | None:
    """When an owner may start the next run of the workspace; None: now."""
    last = (
        MonitoringRun.objects.filter(workspace=workspace, trigger=RunTrigger.OWNER)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    allowed = last + settings.MONITORING_RUN_NOW_INTERVAL if last else None
    return allowed if allowed and allowed > timezone.now() else None


@transaction.atomic
def workspace_run_start(*, workspace: Workspace) -> MonitoringRun:
    """Start a run of the workspace's monitored counterparties now; the fan-out is enqueued on commit.

    Raises RunNowTooSoon when the workspace's last such run started less than MONITORING_RUN_NOW_INTERVAL ago.
    """
    Workspace.objects.select_for_update().get(pk=workspace.pk)  # serialises the check and the insert
    next_allowed = workspace_run_next_allowed(workspace)
    if next_allowed is not None:
        raise RunNowTooSoon(next_allowed)
    now = timezone.now()
    monitored = Counterparty.objects.for_workspace(workspace).active().monitored()
    due = monitored.update(next_check_due_at=now)
    task = daily_run_task()
    run = MonitoringRun.objects.create(
        trigger=RunTrigger.OWNER,
        workspace=workspace,
        started_at=now,
        due=due,
        daily_due_next=next_due_after(now, MonitoringFrequency.DAILY, task),
        weekly_due_next=next_due_after(now, MonitoringFrequency.WEEKLY, task),
    )
    from ..tasks import monitoring_fan_out

    transaction.on_commit(lambda: monitoring_fan_out.delay(trigger=RunTrigger.OWNER, run_id=run.pk))
    return run
