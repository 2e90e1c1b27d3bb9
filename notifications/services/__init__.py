"""Writes that span several rows: the fan-out of alerts into deliveries, sending, digests, the sweep, key rotation."""

from .channels import channel_send_test, delivery_retry
from .digests import digests_resume, digests_send
from .fanout import alerts_fan_out_missed, deliveries_for_alerts
from .secrets import Reencryption, secrets_reencrypt
from .sending import (
    BATCH_SIZE,
    SendSummary,
    alerts_mark_sent,
    deliveries_hasten,
    deliveries_release_stale,
    deliveries_send,
    deliveries_send_due,
)
from .sweep import SweepSummary, deliveries_sweep

__all__ = [
    "BATCH_SIZE",
    "Reencryption",
    "SendSummary",
    "SweepSummary",
    "alerts_fan_out_missed",
    "alerts_mark_sent",
    "channel_send_test",
    "deliveries_for_alerts",
    "deliveries_hasten",
    "deliveries_release_stale",
    "deliveries_send",
    "deliveries_send_due",
    "deliveries_sweep",
    "delivery_retry",
    "digests_resume",
    "digests_send",
    "secrets_reencrypt",
]
