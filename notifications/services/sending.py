"""Claim due deliveries, send them outside any transaction, record each outcome.

The claim is a short transaction: `SELECT ... FOR UPDATE SKIP LOCKED` picks due rows that no other sender
is looking at, and a conditional UPDATE (`status='pending'`) marks them `sending` under a fresh claim
token. Two senders can never hold the same row, so an SMTP server never sees a message twice from them.
Every later write on a claimed row is conditional on that token: a sender whose claim was taken over (it
was presumed dead) cannot overwrite what the new owner records. docs/concurrency.md has the policy.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from crm.models import Alert

from ..content import alert_chat_message, alert_email
from ..mail import Mailer
from ..models import Delivery, DeliveryStatus
from ..transports import TransportError, transport_for

logger = logging.getLogger(__name__)

# Rows per claim: small, so a crash strands few rows until the claim timeout, and a slow provider holds
# few claims at a time.
BATCH_SIZE = 20
# A sweep stops claiming after this long, well inside Celery's soft time limit (120 s): a task killed
# mid-batch would leave its claims to the claim timeout, and their messages to be sent twice.
SWEEP_BUDGET = timedelta(seconds=60)


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0  # outcome not recorded: the claim had been taken over by another sender

    def __add__(self, other: SendSummary) -> SendSummary:
        return SendSummary(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        return text + (f", {self.lost} claims lost" if self.lost else "")


@dataclass
class Outcome:
    delivery: Delivery
    message_id: str | None = None
    error: TransportError | None = None


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
    *, ids: Iterable[int] | None = None, limit: int = BATCH_SIZE, now: datetime | None = None
) -> SendSummary:
    """Send up to `limit` due deliveries (digests excepted), only among `ids` when given.

    Rows that are gone, already sent, not due yet or claimed by someone else are skipped quietly.
    """
    now = now or timezone.now()
    queryset = Delivery.objects.due(now).filter(digest=False)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    claimed = claim(queryset, limit=limit, now=now)
    emails = [delivery for delivery in claimed if delivery.is_email]
    outcomes = send_emails(emails) + [send_chat(delivery) for delivery in claimed if not delivery.is_email]
    return record(outcomes, now=now)


def deliveries_send_due(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE, budget: timedelta | None = SWEEP_BUDGET
) -> SendSummary:
    """Send batch after batch of what is due at `now`, until nothing is left or the time budget is spent.

    A row that fails again is rescheduled after `now`, so each row is tried at most once per call.
    """
    now = now or timezone.now()
    deadline = time.monotonic() + budget.total_seconds() if budget else None
    summary = SendSummary()
    while deadline is None or time.monotonic() < deadline:
        batch = deliveries_send(limit=batch_size, now=now)
        if batch == SendSummary():
            break
        summary += batch
    return summary


def send_emails(deliveries: list[Delivery]) -> list[Outcome]:
    """One connection for the batch; once the server fails, the rest of the batch is not tried on it."""
    if not deliveries:
        return []
    outcomes = []
    with Mailer() as mailer:
        for delivery in deliveries:
            try:
                message_id = mailer.send(alert_email(delivery))
            except TransportError as error:
                outcomes.append(Outcome(delivery, error=error))
            except Exception as exc:  # a bug in building the message: retried, and given up in the end
                logger.exception("Delivery %s: could not build or send the email", delivery.pk)
                outcomes.append(Outcome(delivery, error=TransportError(f"Internal error: {type(exc).__name__}")))
            else:
                outcomes.append(Outcome(delivery, message_id=message_id))
    return outcomes


def send_chat(delivery: Delivery) -> Outcome:
    try:
        message_id = transport_for(delivery.channel).send(alert_chat_message(delivery))
    except TransportError as error:
        return Outcome(delivery, error=error)
    except Exception as exc:
        logger.exception("Delivery %s: could not send to channel %s", delivery.pk, delivery.channel_id)
        return Outcome(delivery, error=TransportError(f"Internal error: {type(exc).__name__}"))
    return Outcome(delivery, message_id=message_id)


def record(outcomes: list[Outcome], *, now: datetime) -> SendSummary:
    summary = SendSummary()
    for outcome in outcomes:
        result = _record(outcome, now=now)
        setattr(summary, result, getattr(summary, result) + 1)
    alerts_mark_sent(alert_ids={outcome.delivery.alert_id for outcome in outcomes})
    return summary


def _record(outcome: Outcome, *, now: datetime) -> str:
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
    mine = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, claim_token=delivery.claim_token)
    if not mine.update(claim_token=None, **changes):
        logger.warning("Delivery %s: claim taken over before its outcome (%s) was recorded", delivery.pk, result)
        return "lost"
    if error is not None:
        log = logger.warning if result == "failed" else logger.info
        log("Delivery %s to %s: %s (%s)", delivery.pk, delivery.address, result, error.message)
    return result


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


def deliveries_release_stale(*, now: datetime | None = None) -> int:
    """Give claims whose sender died back to the queue (at-least-once: see docs/notifications.md)."""
    now = now or timezone.now()
    stale = Delivery.objects.stale_claims(now)
    reason = "The sender stopped before recording an outcome (claim timed out)"
    expired = stale.filter(expires_at__lte=now).update(
        status=DeliveryStatus.FAILED, claim_token=None, failed_at=now, last_error=reason
    )
    released = stale.update(status=DeliveryStatus.PENDING, claim_token=None, next_attempt_at=now, last_error=reason)
    if expired or released:
        logger.warning("Released %s stale claims, gave up %s", released, expired)
    return released + expired


def deliveries_hasten(*, now: datetime | None = None) -> int:
    """Make every waiting retry due now: an operator flushing the outbox after an outage does not want
    to wait out the backoff."""
    now = now or timezone.now()
    return Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__gt=now).update(next_attempt_at=now)
