"""Who still wants a delivery at send time: rows are made at fan-out, and may be sent hours later.

A digest waits up to a day and a transient failure is retried for up to 72 hours; meanwhile a member may
have been removed from the workspace or deactivated, and a channel switched off. Such rows are failed,
permanently and with the reason, instead of sent. (A deleted channel or user takes its rows with it.)
"""

from __future__ import annotations

from collections.abc import Iterable

from crm.models import Membership

from ..errors import TransportError
from ..models import Delivery


def refusals(deliveries: Iterable[Delivery]) -> dict[int, TransportError]:
    """The rows (by id) that must not be sent any more, each with the permanent error to record."""
    deliveries = list(deliveries)
    emails = [delivery for delivery in deliveries if delivery.is_email]
    members = set(
        Membership.objects.filter(
            user_id__in={delivery.recipient_id for delivery in emails},
            workspace_id__in={delivery.workspace_id for delivery in emails},
            user__is_active=True,
        ).values_list("user_id", "workspace_id")
    )
    refused = {}
    for delivery in deliveries:
        if delivery.is_email and (delivery.recipient_id, delivery.workspace_id) not in members:
            refused[delivery.pk] = TransportError(
                f"Not sent: {delivery.address} is no longer an active member of this workspace", permanent=True
            )
        elif not delivery.is_email and not delivery.channel.enabled:
            refused[delivery.pk] = TransportError("Not sent: the channel has been switched off", permanent=True)
    return refused
