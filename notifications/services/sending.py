"""Claim due deliveries, send them outside any transaction, record each outcome right after its send.

The claim is a short transaction: `SELECT ... FOR UPDATE SKIP LOCKED` picks due rows that no other sender
is looking at, and a conditional UPDATE (`status='pending'`) marks them `sending` under a fresh claim
token. Two senders can never hold the same row, so an SMTP server never sees a message twice from them.
Every later write on a claimed row is conditional on that token: a sender whose claim was taken over (it
was presumed dead) cannot overwrite what the new owner records. docs/concurrency.md has the policy;
services/batch.py how a batch records as it goes and stops cleanly; services/budget.py the time limits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from ..content import alert_chat_message, alert_email
from ..mail import Mailer
from ..models import Delivery, DeliveryStatus
from ..transports import transport_for
from .batch import Batch
from .budget import SEND_BUDGET, Deadline
from .outcomes import Outcome, SendSummary, alerts_mark_sent, record

__all__ = [
    "BATCH_SIZE",
    "Outcome",
    "SendSummary",
    "alerts_mark_sent",
    "claim",
    "deliveries_hasten",
    "deliveries_release_stale",
    "deliveries_send",
    "deliveries_send_due",
    "record",
]

logger = logging.getLogger(__name__)

# Rows per claim: small, so a crash strands few rows until the claim timeout, and a slow provider holds
# few claims at a time.
BATCH_SIZE = 20


def claim(queryset: QuerySet[Delivery], *, limit: int | None, now: datetime) -> list[Delivery]:
    """Take up to `limit` rows of `queryset` (already restricted to due rows) for this sender."""
    token = uuid.uuid4()
    with transaction.atomic():
        ids = _pick(queryset, limit=limit)
        if not ids:
            return []
        _take(ids, token=token, now=now)
    return list(
        Delivery.objects.filter(claim_token=token)
        .select_related("alert__counterparty", "alert__workspace", "channel__workspace", "recipient", "workspace")
        .order_by("pk")
    )


def _pick(queryset: QuerySet[Delivery], *, limit: int | None) -> list[int]:
    # SKIP LOCKED: rows another sender is claiming right now are not waited for, they are simply not ours.
    candidates = (
        queryset.select_for_update(skip_locked=True).order_by("next_attempt_at", "id").values_list("pk", flat=True)
    )
    return list(candidates[:limit] if limit else candidates)


def _take(ids: list[int], *, token: uuid.UUID, now: datetime) -> int:
    # Conditional on `pending`: on a database without row locks (SQLite), or if a rival got in between
    # the pick and this update, the status alone decides who won; the rows we lost are not ours.
    return Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
    )


def deliveries_send(
    *,
    ids: Iterable[int] | None = None,
    limit: int = BATCH_SIZE,
    now: datetime | None = None,
    budget: timedelta | None = SEND_BUDGET,
    deadline: Deadline | None = None,
) -> SendSummary:
    """Send up to `limit` due deliveries (digests excepted), only among `ids` when given.

    Rows that are gone, already sent, not due yet or claimed by someone else are skipped quietly. Nothing
    new is claimed or sent once the deadline (else `budget` from now) has passed; claimed rows left unsent
    then are given back.
    """
    now = now or timezone.now()
    deadline = deadline or Deadline.after(budget)
    if deadline.passed():
        return SendSummary()
    queryset = Delivery.objects.due(now).filter(digest=False)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    with Batch(claim(queryset, limit=limit, now=now), now=now) as batch:
        batch.refuse_unwanted()
        emails = [delivery for delivery in batch.waiting.values() if delivery.is_email]
        chats = [delivery for delivery in batch.waiting.values() if not delivery.is_email]
        if emails:
            # One connection for the batch; once the server fails, the rest is not tried on it (Mailer).
            with Mailer() as mailer:
                for delivery in emails:
                    if deadline.passed():
                        break
                    batch.send([delivery], lambda unit: mailer.send(alert_email(unit[0])))
        for delivery in chats:
            if deadline.passed():
                break
            batch.send([delivery], lambda unit: transport_for(unit[0].channel).send(alert_chat_message(unit[0])))
    return batch.summary


def deliveries_send_due(
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    budget: timedelta | None = SEND_BUDGET,
    deadline: Deadline | None = None,
) -> SendSummary:
    """Send batch after batch of what is due at `now`, until nothing is left or the time budget is spent.

    A row that fails again is rescheduled after `now`, so each row is tried at most once per call.
    """
    now = now or timezone.now()
    deadline = deadline or Deadline.after(budget)
    summary = SendSummary()
    while not deadline.passed():
        batch = deliveries_send(limit=batch_size, now=now, deadline=deadline)
        summary += batch
        if batch == SendSummary() or batch.given_back:
            break
    return summary


def deliveries_release_stale(*, now: datetime | None = None) -> int:
    """Give claims whose sender died back to the queue (at-least-once: see docs/notifications.md)."""
    now = now or timezone.now()
    stale = Delivery.objects.stale_claims(now)
    reason = "The sender stopped before recording an outcome (claim timed out)"
    # The rows past their give-up time are failed; their alerts may be done now, and nothing else would
    # ever mark them (no sender will record anything on these rows again).
    expiring = list(stale.filter(expires_at__lte=now).values_list("pk", "alert_id"))
    expired = stale.filter(pk__in=[pk for pk, _ in expiring]).update(
        status=DeliveryStatus.FAILED, claim_token=None, failed_at=now, last_error=reason
    )
    released = stale.update(status=DeliveryStatus.PENDING, claim_token=None, next_attempt_at=now, last_error=reason)
    if expired:
        alerts_mark_sent(alert_ids={alert_id for _, alert_id in expiring})
    if expired or released:
        logger.warning("Released %s stale claims, gave up %s", released, expired)
    return released + expired


def deliveries_hasten(*, now: datetime | None = None) -> int:
    """Make every waiting retry due now: an operator flushing the outbox after an outage does not want
    to wait out the backoff."""
    now = now or timezone.now()
    return Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__gt=now).update(next_attempt_at=now)
