"""The daily run's schedule (a django-celery-beat PeriodicTask edited in the admin) and the due-time rule.

A counterparty re-checked by a run is due again one period after the run started, minus a tolerance, so
that tomorrow's run finds it due even if it starts a little earlier than today's did (a backlog delayed
today's fan-out, the crontab was moved). That alone would let an off-schedule run (an operator's
`run_monitoring` at 20:00, a fan-out resumed late) push a daily counterparty past tomorrow's 02:00 run
to the day after. So the due time is also never later than the first scheduled run after the period's
last day has begun: whatever run re-checked it, the next scheduled one re-checks it again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from crm.models import Counterparty, MonitoringFrequency

DAILY_RUN_TASK = "monitoring: daily run"  # the PeriodicTask created by migration 0002
# A due time is always after the run's start: the fan-out claims what is due at its start, and a
# claimed row that stayed due would be claimed again.
MINIMUM_GAP = timedelta(seconds=1)


def daily_run_task() -> PeriodicTask | None:
    return PeriodicTask.objects.select_related("crontab").filter(name=DAILY_RUN_TASK).first()


def next_run_at(after: datetime, task: PeriodicTask | None = None) -> datetime | None:
    """When the daily run next fires at or after `after`; None when it is disabled or not a crontab."""
    task = task or daily_run_task()
    if task is None or not task.enabled or task.crontab is None:
        return None
    schedule = task.crontab.schedule
    # remaining_delta gives the first fire time strictly after its argument; a second earlier includes `after`.
    start, delta, _ = schedule.remaining_delta(after - timedelta(seconds=1))
    return start + delta


def next_due_after(started_at: datetime, frequency: str, task: PeriodicTask | None = None) -> datetime | None:
    """When a counterparty of `frequency` re-checked by a run that started at `started_at` is due again."""
    interval = MonitoringFrequency(frequency).interval
    if interval is None:
        return None
    natural = started_at + interval
    # The first scheduled run strictly after the start of the period's last day (for daily: after this run).
    scheduled = next_run_at(natural - timedelta(days=1) + timedelta(seconds=1), task)
    due = min(natural, scheduled) if scheduled is not None else natural
    return max(due - settings.MONITORING_SCHEDULE_TOLERANCE, started_at + MINIMUM_GAP)


def next_check_at(counterparty: Counterparty, task: PeriodicTask | None = None) -> datetime | None:
    """When a monitored counterparty is next re-checked: the first scheduled run at or after its due time
    (or now, if it is due already). The monitoring card and the exports both say this time."""
    return next_check_times(task)(counterparty)


def next_check_times(task: PeriodicTask | None = None) -> Callable[[Counterparty], datetime | None]:
    """`next_check_at` for many counterparties (an export): the schedule read once, each due time once."""
    task = task or daily_run_task()
    now = timezone.now()

    @lru_cache(maxsize=4096)  # a run gives every counterparty it re-checked the same due time
    def scheduled(due: datetime | None) -> datetime | None:
        return next_run_at(max(due or now, now), task)

    def at(counterparty: Counterparty) -> datetime | None:
        return scheduled(counterparty.next_check_due_at) if counterparty.is_monitored else None

    return at
