"""What an owner does by hand: test a chat channel, send a failed delivery again."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.models import Alert

from ..content import channel_test_message
from ..models import ChatChannel, Delivery, DeliveryStatus
from ..transports import transport_for


def channel_send_test(*, channel: ChatChannel) -> str | None:
    """Send a test message now, in the request: the owner wants to see the answer. Raises TransportError."""
    return transport_for(channel).send(channel_test_message(channel, key=str(uuid.uuid4())))


def delivery_retry(*, delivery: Delivery) -> bool:
    """A failed delivery goes back to the queue with a fresh give-up window (after fixing the address or
    the channel). False if it was not failed any more."""
    now = timezone.now()
    with transaction.atomic():
        retried = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            expires_at=now + settings.NOTIFICATIONS_GIVE_UP_AFTER,
            failed_at=None,
        )
        if retried:
            # The alert is not done any more: one of its deliveries is pending again.
            Alert.objects.filter(pk=delivery.alert_id).update(is_sent=False, sent_at=None)
    return bool(retried)
