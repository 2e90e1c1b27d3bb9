"""A run whose re-checks happen in this process, one after the other: `run_monitoring --sync`.

For operators (a first run after an import, a worker-less box) and demos. The same claim and the same
re-check as the Celery path; unverified ones are retried in rounds after the same backoff. The process
keeps the run's heartbeat (`fan_out_progress_at`) fresh, so that the reconciler leaves its re-checks to
it while it lives and hands them to the workers if it dies.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from ..models import MonitoringRun, RunTrigger
from .recheck import counterparty_recheck, retry_countdown
from .runs import rechecks_mark_dispatched, run_fan_out, run_start


def run_inline(
    *,
    sleep: Callable[[float], None] = time.sleep,
    chunk_size: int | None = None,
    max_retries: int | None = None,
    on_wait: Callable[[int, float, int], None] | None = None,
) -> MonitoringRun:
    """Start a run, claim its counterparties and re-check them all here; returns the finished run.

    Unverified ones are retried up to `max_retries` rounds (default: the setting); before each round
    `on_wait(unverified_count, seconds, round)` is told, so an operator sees why nothing happens.
    """
    claimed: list[int] = []

    def keep(run: MonitoringRun, counterparty_ids: list[int]) -> None:
        # Dispatched to this process: the reconciler leaves them alone unless this process dies (the lease).
        claimed.extend(counterparty_ids)
        rechecks_mark_dispatched(run_id=run.pk, counterparty_ids=counterparty_ids)

    run = run_fan_out(run=run_start(trigger=RunTrigger.COMMAND_SYNC), dispatch=keep, chunk_size=chunk_size)
    pending = claimed
    last = settings.MONITORING_RETRY_MAX_RETRIES if max_retries is None else max_retries
    for attempt in range(last + 1):
        # One delay for the whole round, recorded on each row as its next attempt's due time.
        final = attempt >= last
        delay = None if final else retry_countdown(attempt + 1)
        retry = []
        for index, counterparty_id in enumerate(pending):
            if index % HEARTBEAT_EVERY == 0:
                _heartbeat(run)
            result = counterparty_recheck(
                run_id=run.pk, counterparty_id=counterparty_id, attempt=attempt, final=final, retry_in=delay
            )
            if result.retry:
                retry.append(counterparty_id)
        if not retry:
            break
        if on_wait is not None:
            on_wait(len(retry), delay, attempt + 1)
        _sleep_alive(run, delay, sleep)
        pending = retry
    run.refresh_from_db()
    return run


HEARTBEAT_EVERY = 50  # re-checks; a few seconds of work, far below the reconciler's lease
HEARTBEAT_SECONDS = 30.0


def _heartbeat(run: MonitoringRun) -> None:
    MonitoringRun.objects.filter(pk=run.pk).update(fan_out_progress_at=timezone.now())


def _sleep_alive(run: MonitoringRun, seconds: float, sleep: Callable[[float], None]) -> None:
    """Wait for the next round, saying every half minute that this process still has the run."""
    while seconds > 0:
        step = min(seconds, HEARTBEAT_SECONDS)
        sleep(step)
        seconds -= step
        _heartbeat(run)
