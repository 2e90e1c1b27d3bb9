"""Monitoring's Celery tasks: thin, ids in, quiet when the row is gone.

Task names are fixed strings because the PeriodicTask rows (data migrations) store the names: renaming a
function must not silently stop the schedule.

Database errors (PostgreSQL restarted, a failover, a deadlock victim) roll the transaction back and are
retried with doubling, jittered backoff for about an hour (MONITORING_DB_RETRY_*). A message that is lost
anyway (its retries ran out, the broker lost it, its worker was killed) is not the end of its re-check:
the reconciler finds the row and sends it again (services/reconcile.py).
"""

from __future__ import annotations

import random
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .models import MonitoringRun, RunTrigger
from .services import counterparty_recheck, run_fan_out, run_owners_tell, run_start, runs_reconcile

FAN_OUT_TASK = "monitoring.fan_out"
RECHECK_TASK = "monitoring.recheck"
RECONCILE_TASK = "monitoring.reconcile"
TELL_OWNERS_TASK = "monitoring.tell_owners"

DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_RETRIES = {
    "autoretry_for": DATABASE_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": settings.MONITORING_DB_RETRY_MAX_DELAY,
    "retry_jitter": True,
    "max_retries": settings.MONITORING_DB_RETRY_MAX_RETRIES,
}


# A fan-out of 100,000 counterparties sends 100,000 messages: more than the default time limit allows.
# Each chunk commits on its own; a fan-out cut short is resumed with its run (`run_id`), by its own
# retry or by the reconciler.
@shared_task(bind=True, name=FAN_OUT_TASK, acks_late=True, soft_time_limit=1800, time_limit=1900)
def monitoring_fan_out(self, trigger: str = RunTrigger.SCHEDULE, run_id: int | None = None) -> int | None:
    """Start a run (or resume run `run_id`) and enqueue one re-check per due counterparty. Returns the run id."""
    try:
        if run_id is None:
            run = run_start(trigger=trigger)
            run_id = run.pk
        else:
            run = MonitoringRun.objects.filter(pk=run_id, fanned_out_at=None).first()
            if run is None:
                return None  # finished, pruned, or fanned out by another resumption
        run_fan_out(run=run)
    except DATABASE_ERRORS as exc:
        # Retried with the run it created, if it got that far: a retry must not start a second run.
        raise self.retry(
            exc=exc,
            kwargs={"trigger": trigger, "run_id": run_id},
            countdown=_database_backoff(self.request.retries),
            max_retries=settings.MONITORING_DB_RETRY_MAX_RETRIES,
        ) from exc
    return run_id


@shared_task(
    name=RECHECK_TASK,
    acks_late=True,
    soft_time_limit=settings.MONITORING_RECHECK_SOFT_TIME_LIMIT,
    time_limit=settings.MONITORING_RECHECK_TIME_LIMIT,
    **DATABASE_RETRIES,
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
        # The attempt and the next one's due time are committed: if this message is lost, the reconciler
        # sends it once the due time has passed.
        monitoring_recheck.apply_async(args=[run_id, counterparty_id, attempt + 1], countdown=outcome.retry_in)


# Every minute (migration 0004); a tick still queued after its period is stale, the next one does the same.
@shared_task(name=RECONCILE_TASK, acks_late=True, soft_time_limit=50, time_limit=60)
def monitoring_reconcile() -> str:
    """Send again what may be lost, resume stalled fan-outs, end runs whose window has passed."""
    return str(runs_reconcile())


# A mail server that is down is retried like the database; the run row says whether it was done.
@shared_task(
    name=TELL_OWNERS_TASK,
    acks_late=True,
    **{**DATABASE_RETRIES, "autoretry_for": (*DATABASE_ERRORS, OSError, SMTPException)},
)
def monitoring_tell_owners(run_id: int) -> None:
    """Email the owners of each workspace that an incomplete run left counterparties of un-re-checked."""
    run_owners_tell(run_id=run_id)


def _database_backoff(retries: int) -> float:
    """Celery's own autoretry backoff (doubling from 1 s, full jitter, capped), for the explicit retry."""
    cap = settings.MONITORING_DB_RETRY_MAX_DELAY
    return random.uniform(0, min(cap, 2.0**retries))
