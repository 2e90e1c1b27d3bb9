"""Sending webhook deliveries: claim a row, POST it signed outside any transaction, record the attempt.

The same rules as notifications' outbox (docs/notifications.md), on rows of our own: a conditional UPDATE
claims a due pending row (the row count says who won, so two workers never send it at once); the request
goes through notifications' SSRF-guarded HTTP (the address checked is the one connected to, through the
egress proxy when there is one), with its timeouts, no redirects, and 429/5xx transient; each try is a
WebhookAttempt; a transient failure is due again after the doubling backoff, until the give-up time.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from crm.backoff import doubling_delay
from notifications.errors import TransportError
from notifications.transports import DELIVERY_HEADER, SIGNATURE_HEADER, HttpTransport, sign

from ..models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ..models.idempotency import RETENTION

logger = logging.getLogger(__name__)

EVENT_HEADER = "X-Vatcrm-Event"
SWEEP_BATCH = 200
# The sweep stops taking rows after this long (its task's soft limit is 100 s; one send can take the
# connect and read timeouts, 15 s by default): what is left is due at the next sweep, a minute later.
SWEEP_BUDGET_SECONDS = 60


class EventTransport(HttpTransport):
    """notifications' HTTP transport (pinned, proxied, scrubbed), keyed by an endpoint instead of a channel."""

    def __init__(self, endpoint: WebhookEndpoint) -> None:
        self.endpoint = endpoint
        self.config = {"url": endpoint.url, "secret": endpoint.secret}
        self.status_code: int | None = None

    def secrets(self) -> list[str]:
        return [self.endpoint.secret]

    def raise_for_response(self, response):
        self.status_code = response.status_code
        super().raise_for_response(response)

    def deliver(self, delivery: WebhookDelivery) -> int:
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
        timestamp = int(time.time())
        headers = {
            SIGNATURE_HEADER: f"t={timestamp},v1={sign(self.endpoint.secret, body, timestamp)}",
            DELIVERY_HEADER: str(delivery.key),
            EVENT_HEADER: delivery.event,
        }
        response = self.post(self.endpoint.url, body=body, headers=headers)
        return response.status_code


def delivery_send(*, delivery_id: int) -> str | None:
    """Send one due delivery if this call wins its claim; returns its status afterwards (None: not ours)."""
    now, token = timezone.now(), uuid.uuid4()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    transport = EventTransport(delivery.endpoint)
    started = time.monotonic()
    status_code, error, permanent = None, "", False
    if not delivery.endpoint.enabled:
        error, permanent = "The endpoint is switched off.", True
    elif not delivery.endpoint.credentials_readable:
        error, permanent = "The endpoint's signing secret cannot be decrypted with FIELD_ENCRYPTION_KEYS.", True
    else:
        try:
            status_code = transport.deliver(delivery)
        except TransportError as exc:
            status_code, error, permanent = transport.status_code, exc.message, exc.permanent
    duration_ms = int((time.monotonic() - started) * 1000)
    WebhookAttempt.objects.create(delivery=delivery, status_code=status_code, error=error, duration_ms=duration_ms)
    return _record(delivery, token=token, error=error, permanent=permanent)


def _record(delivery: WebhookDelivery, *, token: uuid.UUID, error: str, permanent: bool) -> str:
    now = timezone.now()
    ours = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, claim_token=token)
    if not error:
        outcome = {"status": DeliveryStatus.SENT, "sent_at": now, "last_error": ""}
    elif permanent or now >= delivery.expires_at:
        outcome = {"status": DeliveryStatus.FAILED, "failed_at": now, "last_error": error}
    else:
        delay = doubling_delay(
            delivery.attempts,
            base=settings.NOTIFICATIONS_RETRY_BASE_DELAY,
            cap=settings.NOTIFICATIONS_RETRY_MAX_DELAY,
        )
        # A little jitter, so that a receiver that was down is not hit by the whole backlog in one second.
        outcome = {
            "status": DeliveryStatus.PENDING,
            "next_attempt_at": now + delay * random.uniform(1, 1.1),
            "last_error": error,
        }
    if not ours.update(claimed_at=None, claim_token=None, **outcome):
        logger.warning("webhook delivery %s: the claim was taken over; its outcome is discarded", delivery.pk)
    return outcome["status"]


def deliveries_sweep(*, now=None) -> int:
    """Beat, every minute: claims abandoned by a dead sender come back, then every due row is sent; the
    idempotency keys past their retention are deleted. Returns how many deliveries were tried."""
    from ..models import IdempotentRequest

    now = now or timezone.now()
    WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - settings.NOTIFICATIONS_CLAIM_TIMEOUT
    ).update(status=DeliveryStatus.PENDING, claimed_at=None, claim_token=None)
    IdempotentRequest.objects.filter(created_at__lt=now - RETENTION).delete()
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    ids = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:SWEEP_BATCH])
    started, tried = time.monotonic(), 0
    for delivery_id in ids:
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break
        delivery_send(delivery_id=delivery_id)
        tried += 1
    return tried


def delivery_retry(*, delivery: WebhookDelivery) -> None:
    """An owner's "send again" of a failed delivery: due now, with a fresh give-up time."""
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        expires_at=now + settings.NOTIFICATIONS_GIVE_UP_AFTER,
        failed_at=None,
    )
