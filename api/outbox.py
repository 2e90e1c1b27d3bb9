"""The webhooks' transactional outbox: an event is a row written in the transaction that causes it.

The receivers (api/receivers.py) write a PendingEvent inside the transaction that stores the check, the
alerts or the finished job, and only the enqueue of its dispatch waits for the commit. So a rolled-back
transaction leaves no event, and a committed one always leaves its row, even when the process dies before
its on-commit hook runs or the broker loses the message: the beat sweep (api.tasks.webhooks_sweep, every
minute) dispatches what is left. A dispatch makes the event's deliveries (api/events.py) and deletes the
row in one transaction, holding its lock (SKIP LOCKED for the others), so each event becomes deliveries
exactly once however many tasks and sweeps reach it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, transaction

from . import events
from .models import EventKind, PendingEvent

logger = logging.getLogger(__name__)

BUILDERS: dict[str, Callable[..., list[int]]] = {
    EventKind.CHECK: events.check_completed,
    EventKind.ALERTS: events.alerts_created,
    EventKind.IMPORT: events.import_finished,
    EventKind.BATCH: events.batch_finished,
}
SWEEP_BATCH = 500
# The sweep's share of its task's time: the deliveries it makes are sent by the same tick afterwards.
SWEEP_BUDGET_SECONDS = 20


def event_record(*, workspace_id: int, kind: str, context: dict[str, Any]) -> PendingEvent:
    """Write the event in the caller's transaction; its dispatch is enqueued once that commits."""
    event = PendingEvent.objects.create(workspace_id=workspace_id, kind=kind, context=context)
    # robust: a broker that is down must not break the caller's commit; the sweep dispatches the row. A
    # lambda, not functools.partial: Django names a failing robust hook by its __qualname__.
    event_id = event.pk
    transaction.on_commit(lambda: _enqueue(event_id), robust=True)
    return event


def _enqueue(event_id: int) -> None:
    from .tasks import webhook_event_dispatch

    webhook_event_dispatch.delay(event_id)


def event_dispatch(*, event_id: int) -> list[int]:
    """Make the event's deliveries and delete it, in one transaction; the ids of the deliveries made.

    An empty list when there was nothing to make: no endpoint subscribed, or the event already dispatched
    (or being dispatched: its row is locked by another worker, which makes them).
    """
    with transaction.atomic():
        event = PendingEvent.objects.select_for_update(skip_locked=True).filter(pk=event_id).first()
        if event is None:
            return []
        made = BUILDERS[event.kind](workspace_id=event.workspace_id, occurred_at=event.created_at, **event.context)
        event.delete()
    return made


def events_sweep() -> int:
    """Beat: dispatch the events whose message was lost (or never sent); returns how many were dispatched."""
    pending = list(PendingEvent.objects.order_by("id").values_list("pk", flat=True)[:SWEEP_BATCH])
    started, dispatched = time.monotonic(), 0
    for event_id in pending:
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break
        try:
            event_dispatch(event_id=event_id)
        except DatabaseError:
            raise  # the database is away: the task's retries, then the next tick
        except Exception:
            # One event that cannot be built (a bug) must not hold back the others; it stays for the next tick.
            logger.exception("webhooks: event %s could not be dispatched", event_id)
            continue
        dispatched += 1
    if dispatched:
        logger.info("webhooks: %s events dispatched by the sweep", dispatched)
    return dispatched
