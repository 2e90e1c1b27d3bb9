"""Celery tasks of notifications: thin, ids in, quiet when the rows are gone or taken.

Provider failures are not Celery retries: they are recorded on the delivery row (`next_attempt_at`, with
backoff) and the beat sweep picks the row up when it is due, so a retry survives a lost broker message
or a restarted worker. The decorator's retries are for the database being briefly unreachable.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .errors import INTERRUPTIONS
from .services import BATCH_SIZE, deliveries_for_alerts, deliveries_send, deliveries_sweep, digests_send
from .services.budget import (
    DIGEST_BUDGET,
    DIGEST_SOFT_TIME_LIMIT,
    DIGEST_TIME_LIMIT,
    SEND_BUDGET,
    SEND_SOFT_TIME_LIMIT,
    SEND_TIME_LIMIT,
)

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
    except INTERRUPTIONS:
        raise
    except Exception:  # the broker is down: the rows are stored, and the sweep will send them
        logger.warning(
            "Could not enqueue the sending of %s deliveries; the sweep will", len(delivery_ids), exc_info=True
        )


# Explicit limits, whatever the project-wide defaults: the budgets inside the loops are set against them
# (services/budget.py). SoftTimeLimitExceeded is not retried: it propagates after the batch has recorded
# what it sent and given back what it did not.
SENDING_LIMITS = {"soft_time_limit": SEND_SOFT_TIME_LIMIT, "time_limit": SEND_TIME_LIMIT}
DIGEST_LIMITS = {"soft_time_limit": DIGEST_SOFT_TIME_LIMIT, "time_limit": DIGEST_TIME_LIMIT}


@shared_task(**DATABASE_RETRIES, **SENDING_LIMITS)
def send_deliveries(delivery_ids: list[int]) -> str:
    return str(deliveries_send(ids=delivery_ids, limit=len(delivery_ids), budget=SEND_BUDGET))


@shared_task(**DATABASE_RETRIES, **SENDING_LIMITS)
def send_pending_deliveries() -> str:
    """The beat sweep (every few minutes, see the 0002 migration): everything due, whatever left it there."""
    return str(deliveries_sweep(budget=SEND_BUDGET))


@shared_task(**DATABASE_RETRIES, **DIGEST_LIMITS)
def send_daily_digests() -> str:
    """The daily run; what it cannot get through within its budget, the sweep resumes (services/digests.py)."""
    return str(digests_send(budget=DIGEST_BUDGET))
