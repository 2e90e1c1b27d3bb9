"""Delivery of alerts: who wants what (preferences), where chat goes (channels), and the outbox (deliveries)."""

from .channels import ChannelKind, ChatChannel
from .deliveries import Delivery, DeliveryStatus
from .digests import DigestRun
from .preferences import DeliveryMode, NotificationPreference

__all__ = [
    "ChannelKind",
    "ChatChannel",
    "Delivery",
    "DeliveryMode",
    "DeliveryStatus",
    "DigestRun",
    "NotificationPreference",
]
