"""Monitoring's Celery tasks: thin, ids in, quiet when the row is gone.

Task names are fixed strings because the daily PeriodicTask row (a data migration) stores the name:
renaming a function must not silently stop the schedule.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .models import RunTrigger
from .services import counterparty_recheck, retry_countdown, run_fan_out, run_start

FAN_OUT_TASK = "monitoring.fan_out"
RECHECK_TASK = "monitoring.recheck"


# A fan-out of 100,000 counterparties sends 100,000 messages: more than the default time limit allows.
# Each chunk commits on its own, so a fan-out cut short leaves the rest due for the next run.
@shared_task(name=FAN_OUT_TASK, soft_time_limit=1800, time_limit=1900)
def monitoring_fan_out(trigger: str = RunTrigger.SCHEDULE) -> int:
    """Start a run and enqueue one re-check per due counterparty; does not wait for them. Returns the run id."""
    run = run_fan_out(run=run_start(trigger=trigger))
    return run.pk


@shared_task(
    name=RECHECK_TASK,
    acks_late=True,
    # A lost database connection or a deadlock victim: the transaction rolled back, try again.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def monitoring_recheck(run_id: int, counterparty_id: int, attempt: int = 0) -> None:
    """Re-check one counterparty for one run; an unverified answer is asked again later, with backoff.

    The next attempt is a new message with `attempt + 1` (a scheduled re-run, not `self.retry()`): the
    attempt is part of the check's idempotency key, so it must not depend on how many times a database
    error retried this message. Count and spacing come from settings at run time, so operators (and
    tests) can tune them without a deploy.
    """
    last = settings.MONITORING_RETRY_MAX_RETRIES
    outcome = counterparty_recheck(
        run_id=run_id, counterparty_id=counterparty_id, attempt=attempt, final=attempt >= last
    )
    if outcome.retry:
        # The unverified attempt is committed; a crash before this line ends the retries (next period).
        monitoring_recheck.apply_async(
            args=[run_id, counterparty_id, attempt + 1], countdown=retry_countdown(attempt + 1)
        )
