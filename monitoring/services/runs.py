"""Runs: start one, fan its due counterparties out in chunks, notice when its last re-check finished.

The fan-out claims due counterparties a chunk at a time, in one short transaction per chunk: the rows are
locked through the partial index `counterparty_due_monitoring`, their due time is moved to the next period
and one Recheck row per counterparty records the claim (and is counted in `enqueued` in the same
transaction, so that `enqueued` can never fall behind `checked`). The re-check messages leave on commit,
and the fan-out never waits for them. A fan-out cut short (the database or the broker failed, the worker
died) is resumed with the same run: what it claimed is not due any more, the rest still is. See
docs/monitoring.md and docs/concurrency.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone

from crm.models import Counterparty, MonitoringFrequency

from ..models import MonitoringRun, Recheck, RunTrigger
from ..progress import run_finished_one
from ..schedule import daily_run_task, next_due_after
from . import claim_sql

logger = logging.getLogger("monitoring")

# Receives a run and the ids of counterparties just claimed for it, after the claim has committed.
Dispatch = Callable[[MonitoringRun, list[int]], None]


def run_start(*, trigger: str = RunTrigger.SCHEDULE) -> MonitoringRun:
    """Create the run: its start time decides who is due and, with the schedule, when they are due again."""
    now = timezone.now()
    run_prune(before=now - settings.MONITORING_RUN_RETENTION)
    task = daily_run_task()
    return MonitoringRun.objects.create(
        trigger=trigger,
        started_at=now,
        due=Counterparty.objects.due(now).active().count(),
        daily_due_next=next_due_after(now, MonitoringFrequency.DAILY, task),
        weekly_due_next=next_due_after(now, MonitoringFrequency.WEEKLY, task),
    )


def run_fan_out(
    *, run: MonitoringRun, dispatch: Dispatch | None = None, chunk_size: int | None = None
) -> MonitoringRun:
    """Claim every counterparty due at the run's start, chunk by chunk, and hand each chunk to `dispatch`.

    `dispatch` defaults to enqueueing one re-check task per counterparty. A counterparty claimed by a
    concurrent run is not due any more by the time this one's query sees it (docs/concurrency.md).
    """
    _check_tolerance(run)
    dispatch = dispatch or enqueue_rechecks
    size = chunk_size or settings.MONITORING_CHUNK_SIZE
    while _claim_chunk(run=run, size=size, dispatch=dispatch):
        pass
    _mark_fanned_out(run)
    run.refresh_from_db()
    return run


def due_for_claim(run: MonitoringRun, size: int) -> QuerySet:
    """The next `size` due counterparties as (id, workspace_id), locked: the partial index in its order.

    An owner's run of one workspace (services/owner.py) claims that workspace's only."""
    due = Counterparty.objects.due(run.started_at)
    if run.workspace_id is not None:
        due = due.filter(workspace_id=run.workspace_id)
    return (
        due.active()  # archiving turns monitoring off; this holds even for a row archived some other way
        .order_by("next_check_due_at", "id")  # the index's order: an index scan, no sort
        .select_for_update(no_key=True)
        .values_list("id", "workspace_id")[:size]
    )


@transaction.atomic
def _claim_chunk(*, run: MonitoringRun, size: int, dispatch: Dispatch) -> int:
    now = timezone.now()
    if connection.vendor == "postgresql":
        ids = claim_sql.claim_chunk(run=run, due=due_for_claim(run, size), now=now)
    else:
        ids = _claim_chunk_orm(run=run, size=size, now=now)
    if not ids:
        return 0
    # Not robust on purpose: a broker that is down stops the fan-out here (the rows claimed so far have
    # no `dispatched_at`), rather than failing the same way for every chunk; the reconciler publishes
    # them and resumes the fan-out once the broker is back.
    transaction.on_commit(lambda: dispatch(run, ids))
    return len(ids)


def _claim_chunk_orm(*, run: MonitoringRun, size: int, now: datetime) -> list[int]:
    """What claim_sql.claim_chunk does in one statement on PostgreSQL, in four on other databases."""
    rows = list(due_for_claim(run, size))
    if not rows:
        return []
    ids = [counterparty_id for counterparty_id, _ in rows]
    Counterparty.objects.filter(pk__in=ids).update(next_check_due_at=_next_due_expression(run))
    Recheck.objects.bulk_create(
        Recheck(
            run=run, counterparty_id=counterparty_id, workspace_id=workspace_id, created_at=now, next_attempt_at=now
        )
        for counterparty_id, workspace_id in rows
    )
    MonitoringRun.objects.filter(pk=run.pk).update(enqueued=F("enqueued") + len(ids), fan_out_progress_at=now)
    return ids


def _next_due_expression(run: MonitoringRun) -> Case:
    """Per row, by its frequency: the run's next due time (None for anything not monitored)."""
    output = models.DateTimeField()
    return Case(
        *(
            When(monitoring=frequency, then=Value(run.next_due_for(frequency), output_field=output))
            for frequency in (MonitoringFrequency.DAILY, MonitoringFrequency.WEEKLY)
        ),
        default=Value(None, output_field=output),
        output_field=output,
    )


def _check_tolerance(run: MonitoringRun) -> None:
    # A tolerance as long as a period would make every re-checked row due again at once, every run.
    if timedelta(days=1) <= settings.MONITORING_SCHEDULE_TOLERANCE:
        raise ImproperlyConfigured("MONITORING_SCHEDULE_TOLERANCE must be shorter than a day")


def enqueue_rechecks(run: MonitoringRun, counterparty_ids: list[int]) -> None:
    """Send one re-check message per claimed counterparty (the chunk in one round trip), then record it."""
    from ..publish import publish_tasks
    from ..tasks import monitoring_recheck

    publish_tasks(monitoring_recheck, [(run.pk, counterparty_id) for counterparty_id in counterparty_ids])
    rechecks_mark_dispatched(run_id=run.pk, counterparty_ids=counterparty_ids)


def rechecks_mark_dispatched(*, run_id: int, counterparty_ids: list[int]) -> None:
    """Their current attempt's message has left (or, for an inline run, this process has them)."""
    if connection.vendor == "postgresql":
        claim_sql.mark_dispatched(run_id=run_id, counterparty_ids=counterparty_ids, now=timezone.now())
    else:
        Recheck.objects.filter(run_id=run_id, counterparty_id__in=counterparty_ids).update(dispatched_at=timezone.now())


@transaction.atomic
def _mark_fanned_out(run: MonitoringRun) -> None:
    MonitoringRun.objects.filter(pk=run.pk).update(fanned_out_at=timezone.now())
    run_complete_if_done(run.pk)


def run_complete_if_done(run_id: int) -> bool:
    """Mark the run finished if it is fanned out and nothing is pending; count its totals; log once.

    Re-checks call it after their own commit: of two last re-checks finishing at once, the later one's
    question sees both rows finished. The fan-out and the reconciler call it inside a transaction that
    holds the run row. The conditional update makes exactly one caller the one that finishes the run,
    stores the totals counted from the Recheck rows and logs the summary, on commit.
    """
    if Recheck.objects.filter(run_id=run_id, finished_at__isnull=True).exists():
        return False
    with transaction.atomic():
        finished = MonitoringRun.objects.filter(pk=run_id, finished_at=None, fanned_out_at__isnull=False).update(
            finished_at=timezone.now()
        )
        if finished:
            run_totals_store(run_id=run_id)
            transaction.on_commit(lambda: _log_summary(run_id))
    return bool(finished)


def run_complete_if_last(*, run: MonitoringRun) -> bool:
    """After a re-check finished its row (and committed): end the run if that was its last pending one.

    `run` is the run as the re-check read it. The database is asked only when the count of finished
    re-checks in Redis reaches what the run had enqueued (monitoring/progress.py): a statement once a
    run rather than once a re-check.
    """
    finished = run_finished_one(run_id=run.pk, started_at=run.started_at)
    if finished is not None and finished < run.enqueued:
        return False
    return run_complete_if_done(run.pk)


def run_totals_store(*, run_id: int) -> None:
    """Write the run's totals, counted from its Recheck rows (a run's end; see MonitoringRun.totals)."""
    run = MonitoringRun(pk=run_id)
    MonitoringRun.objects.filter(pk=run_id).update(**run.totals())


def _log_summary(run_id: int) -> None:
    run = MonitoringRun.objects.filter(pk=run_id).first()
    if run is not None:
        logger.info(run.summary())


def run_prune(*, before) -> int:
    """Delete runs (and their Recheck rows) started before `before`; the checks and alerts stay in crm."""
    deleted, _ = MonitoringRun.objects.filter(started_at__lt=before).delete()
    return deleted
