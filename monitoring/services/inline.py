"""A run whose re-checks happen in this process, one after the other: `run_monitoring --sync`.

For operators (a first run after an import, a worker-less box) and demos. The same claim and the same
re-check as the Celery path; unverified ones are retried in rounds after the same backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db.models import F

from ..models import MonitoringRun, RunTrigger
from .recheck import counterparty_recheck, retry_countdown
from .runs import run_fan_out, run_start


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
        claimed.extend(counterparty_ids)
        MonitoringRun.objects.filter(pk=run.pk).update(enqueued=F("enqueued") + len(counterparty_ids))

    run = run_fan_out(run=run_start(trigger=RunTrigger.COMMAND_SYNC), dispatch=keep, chunk_size=chunk_size)
    pending = claimed
    last = settings.MONITORING_RETRY_MAX_RETRIES if max_retries is None else max_retries
    for attempt in range(last + 1):
        retry = [
            counterparty_id
            for counterparty_id in pending
            if counterparty_recheck(
                run_id=run.pk, counterparty_id=counterparty_id, attempt=attempt, final=attempt >= last
            ).retry
        ]
        if not retry:
            break
        delay = retry_countdown(attempt + 1)
        if on_wait is not None:
            on_wait(len(retry), delay, attempt + 1)
        sleep(delay)
        pending = retry
    run.refresh_from_db()
    return run
