"""Recording what happened to claimed deliveries, and marking alerts done.

Every write on a claimed row is conditional on its claim token: a sender presumed dead and replaced
cannot overwrite what the new owner records (docs/concurrency.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from crm.models import Alert

from ..errors import TransportError
from ..models import Delivery, DeliveryStatus

logger = logging.getLogger(__name__)


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0  # outcome not recorded: the claim had been taken over by another sender
    given_back: int = 0  # claimed, then not sent (the time budget ran out): pending again, due at once

    def __add__(self, other: SendSummary) -> SendSummary:
        return SendSummary(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def count(self, result: str, rows: int = 1) -> None:
        setattr(self, result, getattr(self, result) + rows)

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        text += f", {self.lost} claims lost" if self.lost else ""
        return text + (f", {self.given_back} given back unsent" if self.given_back else "")


@dataclass
class Outcome:
    delivery: Delivery
    message_id: str | None = None
    error: TransportError | None = None


def record(outcomes: list[Outcome], *, now: datetime) -> SendSummary:
    """Record each outcome, then mark the alerts that are done."""
    summary = SendSummary()
    for outcome in outcomes:
        summary.count(record_one(outcome, now=now))
    alerts_mark_sent(alert_ids={outcome.delivery.alert_id for outcome in outcomes})
    return summary


def record_one(outcome: Outcome, *, now: datetime) -> str:
    """One autocommit UPDATE: `sent`, `failed`, or back to `pending` with backoff. Returns which (or "lost")."""
    delivery, error = outcome.delivery, outcome.error
    stamp = timezone.now()
    if error is None:
        result = "sent"
        changes = {"status": DeliveryStatus.SENT, "sent_at": stamp, "provider_message_id": outcome.message_id or ""}
    elif error.permanent or stamp >= delivery.expires_at:
        result = "failed"
        reason = error.message if error.permanent else f"Gave up after {delivery.attempts} attempts: {error.message}"
        changes = {"status": DeliveryStatus.FAILED, "failed_at": stamp, "last_error": reason}
    else:
        result = "retrying"
        # After `now` as well as after the real time: a caller's `now` must not find the row due again.
        changes = {
            "status": DeliveryStatus.PENDING,
            "next_attempt_at": max(stamp, now) + delivery.retry_delay(),
            "last_error": error.message,
        }
    if not _mine(delivery).update(claim_token=None, **changes):
        logger.warning("Delivery %s: claim taken over before its outcome (%s) was recorded", delivery.pk, result)
        return "lost"
    if error is not None:
        log = logger.warning if result == "failed" else logger.info
        log("Delivery %s to %s: %s (%s)", delivery.pk, delivery.address, result, error.message)
    return result


def give_back(deliveries: Iterable[Delivery]) -> int:
    """Claimed rows that were not sent go back to `pending` at once, due as they were, without the attempt
    their claim counted: waiting for the claim timeout would only delay them."""
    given = 0
    for delivery in deliveries:
        given += _mine(delivery).update(status=DeliveryStatus.PENDING, claim_token=None, attempts=F("attempts") - 1)
    return given


def _mine(delivery: Delivery):
    return Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, claim_token=delivery.claim_token)


def alerts_mark_sent(*, alert_ids: Iterable[int]) -> int:
    """Mark alerts done once none of their deliveries is pending or being sent (failed ones count as done).

    One query finds the alerts that look done; each is then marked by its own conditional UPDATE, in id
    order: two senders finishing deliveries of the same alerts never hold locks on several alert rows at
    once, so they cannot deadlock, and `is_sent=False` makes the marking happen once.
    """
    open_statuses = [DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    done = (
        Alert.objects.filter(pk__in=set(alert_ids), is_sent=False)
        .exclude(deliveries__status__in=open_statuses)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    marked = 0
    for alert_id in list(done):
        marked += (
            Alert.objects.filter(pk=alert_id, is_sent=False)
            .exclude(deliveries__status__in=open_statuses)  # again: a delivery may have been reopened since
            .update(is_sent=True, sent_at=timezone.now())
        )
    return marked
