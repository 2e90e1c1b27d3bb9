"""Celery tasks of the API: webhook events and deliveries, batch lanes, by id; the beat sweep. Thin, quiet
when rows are gone."""

from __future__ import annotations

from celery import shared_task

from notifications.tasks import DATABASE_RETRIES

from .outbox import event_dispatch, events_sweep
from .services.batches import batch_lane_verify, batches_resume
from .services.webhooks import deliveries_sweep, delivery_send


@shared_task(**DATABASE_RETRIES)
def webhook_event_dispatch(event_id: int) -> None:
    """An event's deliveries, right after the commit that wrote it; a lost message leaves it to the sweep."""
    event_dispatch(event_id=event_id)


@shared_task(**DATABASE_RETRIES)
def webhook_send(delivery_id: int) -> None:
    """One delivery, right after its event; a failure is rescheduled on its row, for the sweep."""
    delivery_send(delivery_id=delivery_id)


@shared_task(soft_time_limit=100, time_limit=120, **DATABASE_RETRIES)
def webhooks_sweep() -> int:
    """Beat, every minute: batches whose lanes went quiet, events left in the outbox, due deliveries (the
    ones just made included)."""
    batches_resume()
    events_sweep()
    return deliveries_sweep()


@shared_task(soft_time_limit=100, time_limit=120, **DATABASE_RETRIES)
def batch_verify(batch_id: int, lane: int) -> None:
    """One lane of a batch, within its budget; sends itself again until the lane is done."""
    if not batch_lane_verify(batch_id=batch_id, lane=lane):
        batch_verify.delay(batch_id, lane)
