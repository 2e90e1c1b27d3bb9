"""Celery tasks of notifications: thin, ids in, quiet when the rows are gone or taken.

Provider failures are not Celery retries: they are recorded on the delivery row (`next_attempt_at`, with
backoff) and the beat sweep picks the row up when it is due, so a retry survives a lost broker message
or a restarted worker. The decorator's retries are for the database being briefly unreachable.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import BATCH_SIZE, deliveries_for_alerts, deliveries_send, deliveries_sweep, digests_send

logger = logging.getLogger(__name__)

DATABASE_RETRIES = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**DATABASE_RETRIES)
def fan_out_alerts(alert_ids: list[int]) -> None:
    """New alerts (enqueued on commit by notifications.receivers): create their rows, send in batches."""
    delivery_ids = deliveries_for_alerts(alert_ids=alert_ids)
    try:
        for start in range(0, len(delivery_ids), BATCH_SIZE):
            send_deliveries.delay(delivery_ids[start : start + BATCH_SIZE])
    except Exception:  # the broker is down: the rows are stored, and the sweep will send them
        logger.warning(
            "Could not enqueue the sending of %s deliveries; the sweep will", len(delivery_ids), exc_info=True
        )


@shared_task(**DATABASE_RETRIES)
def send_deliveries(delivery_ids: list[int]) -> str:
    return str(deliveries_send(ids=delivery_ids, limit=len(delivery_ids)))


@shared_task(**DATABASE_RETRIES)
def send_pending_deliveries() -> str:
    """The beat sweep (every few minutes, see the 0002 migration): everything due, whatever left it there."""
    return str(deliveries_sweep())


@shared_task(**DATABASE_RETRIES)
def send_daily_digests() -> str:
    return str(digests_send())
