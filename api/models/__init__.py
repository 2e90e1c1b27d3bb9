"""The REST API's own rows: keys, idempotent responses, webhook endpoints and their deliveries, batches."""

from .batches import Batch, BatchItem, BatchStatus
from .idempotency import IdempotentRequest
from .keys import ApiKey, KeyScope
from .webhooks import (
    DeliveryStatus,
    EventKind,
    PendingEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "ApiKey",
    "Batch",
    "BatchItem",
    "BatchStatus",
    "DeliveryStatus",
    "EventKind",
    "IdempotentRequest",
    "KeyScope",
    "PendingEvent",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
