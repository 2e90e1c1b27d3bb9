"""The reconciler: the database is the truth, a broker message only a hint.

Every claimed re-check is a Recheck row that says when its current attempt was due (`next_attempt_at`),
published (`dispatched_at`) and started by a worker (`picked_at`). Beat runs `runs_reconcile()` every
minute; for each unfinished run it sends the current attempt again when its message may be lost:

- **never published**: claimed, but the broker failed (or the process died) before the message left;
- **dead worker**: picked up, not finished within the lease (the task's hard time limit plus a margin, so
  a live worker is never overtaken): the worker was killed, or its retries for a database outage ran out;
- **late retry**: an unverified attempt's retry is due since longer than the grace, and no worker has
  started it (a delayed message lives in a worker's memory until its time: a killed worker or a broker
  restart loses it);
- **lost from the queue**: published, not picked up after the grace, and the broker's queue is shorter
  than the number of such rows (less the few that workers hold without having started them): the broker
  lost messages (Redis restarted without persistence). When the queue can still hold them all, the workers
  are only behind, and nothing is sent twice for nothing.

A duplicate is harmless: each attempt has an idempotency key, so the second message finds the check stored
and does nothing (docs/concurrency.md). The reconciler also resumes a fan-out that stopped making progress,
finishes a run whose last re-check's bookkeeping was lost, and ends a run whose window has passed as
incomplete (services/incomplete.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone

from ..models import MonitoringRun, Recheck, RunTrigger
from .incomplete import run_mark_incomplete, runs_owners_untold
from .runs import run_complete_if_done

logger = logging.getLogger("monitoring")


@dataclass
class ReconcileSummary:
    runs: int = 0
    redispatched: int = 0
    fan_outs_resumed: int = 0
    completed: int = 0
    incomplete: int = 0

    def __str__(self) -> str:
        return (
            f"{self.runs} unfinished runs: {self.redispatched} re-checks sent again, {self.fan_outs_resumed} "
            f"fan-outs resumed, {self.completed} completed, {self.incomplete} ended incomplete"
        )


def runs_reconcile(*, now: datetime | None = None) -> ReconcileSummary:
    """One reconciler tick over every unfinished run (a handful: one a day, plus operators' runs)."""
    now = now or timezone.now()
    summary = ReconcileSummary()
    waiting: int | None = None  # the broker's queue length, asked once and only if needed
    for run in MonitoringRun.objects.filter(finished_at=None).order_by("started_at", "id"):
        summary.runs += 1
        if now - run.started_at >= settings.MONITORING_RUN_WINDOW:
            summary.incomplete += run_mark_incomplete(run_id=run.pk, now=now)
            continue
        if _held_by_live_process(run, now):
            continue
        if run.fanned_out_at is None and _fan_out_stalled(run, now):
            summary.fan_outs_resumed += _fan_out_resume(run, now)
        if waiting is None and _lost_from_queue(run, now).exists():
            waiting = queue_length()
        summary.redispatched += rechecks_redispatch(run=run, now=now, queue_length=waiting)
        if run.fanned_out_at is not None:
            summary.completed += _complete(run.pk)
    runs_owners_untold(now=now)
    if summary.redispatched or summary.fan_outs_resumed or summary.incomplete:
        logger.warning("monitoring reconciler: %s", summary)
    return summary


def rechecks_redispatch(*, run: MonitoringRun, now: datetime, queue_length: int | None) -> int:
    """Send the current attempt of every re-check of `run` whose message may be lost; returns how many."""
    limit = settings.MONITORING_RECONCILE_BATCH
    lost = list(_never_published(run, now).union(_dead_worker(run, now), _late_retry(run, now))[:limit])
    from_queue = _lost_from_queue(run, now)
    if queue_length is not None and len(lost) < limit:
        stale = from_queue.count()
        if stale and (queue_length == 0 or queue_length + settings.MONITORING_RECONCILE_QUEUE_SLACK < stale):
            lost += list(from_queue[: limit - len(lost)])
    if not lost:
        return 0
    _publish(run, lost, now)
    return len(lost)


def _pending(run: MonitoringRun) -> QuerySet[Recheck]:
    return Recheck.objects.filter(run=run, finished_at=None)


def _as_attempts(rows: QuerySet[Recheck]) -> QuerySet:
    return rows.order_by().values_list("pk", "counterparty_id", "attempts")


def _never_published(run: MonitoringRun, now: datetime) -> QuerySet:
    return _as_attempts(
        _pending(run).filter(dispatched_at=None, created_at__lt=now - settings.MONITORING_RECHECK_GRACE)
    )


def _dead_worker(run: MonitoringRun, now: datetime) -> QuerySet:
    return _as_attempts(_pending(run).filter(picked_at__lt=now - settings.MONITORING_RECHECK_LEASE))


def _late_retry(run: MonitoringRun, now: datetime) -> QuerySet:
    return _as_attempts(
        _pending(run)
        .filter(picked_at=None, attempts__gt=0, dispatched_at__isnull=False)
        .alias(waited_since=Greatest("next_attempt_at", "dispatched_at"))
        .filter(waited_since__lt=now - settings.MONITORING_RECHECK_GRACE)
    )


def _lost_from_queue(run: MonitoringRun, now: datetime) -> QuerySet:
    return _as_attempts(
        _pending(run).filter(picked_at=None, attempts=0, dispatched_at__lt=now - settings.MONITORING_RECHECK_GRACE)
    ).order_by("pk")


def _publish(run: MonitoringRun, rows: list[tuple[int, int, int]], now: datetime) -> None:
    from ..publish import publish_tasks
    from ..tasks import monitoring_recheck

    publish_tasks(monitoring_recheck, [(run.pk, counterparty_id, attempt) for _, counterparty_id, attempt in rows])
    with transaction.atomic():
        # The lease starts again: a row picked by a live worker in the meantime is just picked again.
        Recheck.objects.filter(pk__in=[pk for pk, _, _ in rows], finished_at=None).update(
            dispatched_at=now, picked_at=None
        )
        MonitoringRun.objects.filter(pk=run.pk).update(redispatched=F("redispatched") + len(rows))
    logger.info("monitoring run %s: %s re-checks sent again", run.pk, len(rows))


def _held_by_live_process(run: MonitoringRun, now: datetime) -> bool:
    """`run_monitoring --sync` re-checks its run itself, and says so with a heartbeat while it lives."""
    if run.trigger != RunTrigger.COMMAND_SYNC:
        return False
    heartbeat = run.fan_out_progress_at or run.started_at
    return heartbeat >= now - settings.MONITORING_RECHECK_LEASE


def _fan_out_stalled(run: MonitoringRun, now: datetime) -> bool:
    return (run.fan_out_progress_at or run.started_at) < now - settings.MONITORING_RECHECK_GRACE


def _fan_out_resume(run: MonitoringRun, now: datetime) -> int:
    from ..tasks import monitoring_fan_out

    # Moved on first, so that the next tick waits a whole grace for the resumed fan-out to show progress.
    resumed = MonitoringRun.objects.filter(
        Q(fan_out_progress_at=run.fan_out_progress_at) | Q(fan_out_progress_at=None), pk=run.pk, fanned_out_at=None
    ).update(fan_out_progress_at=now)
    if resumed:
        monitoring_fan_out.apply_async(kwargs={"trigger": run.trigger, "run_id": run.pk})
        logger.warning("monitoring run %s: the fan-out stopped making progress; resumed", run.pk)
    return resumed


@transaction.atomic
def _complete(run_id: int) -> int:
    """A run whose last re-check finished but whose completion was lost with its transaction's retries."""
    if not MonitoringRun.objects.select_for_update().filter(pk=run_id, finished_at=None).exists():
        return 0
    return int(run_complete_if_done(run_id))


def queue_length() -> int:
    """Messages waiting in the re-checks' queue of the broker (not the ones workers have reserved)."""
    queue = current_app.conf.task_default_queue
    with current_app.connection_for_read() as connection:
        return connection.default_channel.queue_declare(queue=queue).message_count
