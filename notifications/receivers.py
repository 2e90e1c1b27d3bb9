"""Monitoring announces new alerts (crm.signals.alerts_created, inside its transaction); we deliver them
once that transaction has committed, so no task looks for an alert that is not stored, or rolled back."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from crm.signals import alerts_created

from .tasks import fan_out_alerts


@receiver(alerts_created, dispatch_uid="notifications.deliver_new_alerts")
def deliver_new_alerts(sender, alerts, **kwargs) -> None:
    alert_ids = [alert.pk for alert in alerts]
    if alert_ids:
        # robust: a broker that is down must not fail the monitoring run that found the change; the
        # beat sweep fans out alerts that have no delivery rows (services.alerts_fan_out_missed).
        transaction.on_commit(lambda: fan_out_alerts.delay(alert_ids), robust=True)
