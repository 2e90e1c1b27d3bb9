"""An alert becomes one delivery row per member who asked for it by email and per chat channel."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.models import Alert, Membership, Workspace

from ..models import ChatChannel, Delivery, NotificationPreference
from .outcomes import alerts_mark_sent

# The on-commit fan-out normally runs within seconds; the sweep only takes alerts older than this, so it
# does not race the normal path for nothing (a race would be harmless: the unique constraints hold).
MISSED_FAN_OUT_GRACE = timedelta(minutes=2)
MISSED_FAN_OUT_CHUNK = 500


def deliveries_for_alerts(*, alert_ids: Iterable[int]) -> list[int]:
    """Create the delivery rows of these alerts; return the ids of those to send now (not digests).

    Safe to run twice for the same alerts (a retried task, the sweep): existing rows are kept, never
    doubled. Alerts already done (`is_sent`) are left alone, and an alert that nobody wants is done at once.
    """
    alerts = list(Alert.objects.filter(pk__in=list(alert_ids), is_sent=False).select_related("workspace"))
    by_workspace: dict[int, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_workspace[alert.workspace_id].append(alert)
    rows: list[Delivery] = []
    for group in by_workspace.values():
        rows += _rows_for(group[0].workspace, group)
    with transaction.atomic():
        # ON CONFLICT DO NOTHING against the (alert, recipient) and (alert, channel) unique constraints.
        Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    ids = sorted(alert.pk for alert in alerts)
    alerts_mark_sent(alert_ids=ids)
    return list(
        Delivery.objects.due().filter(alert_id__in=ids, digest=False).order_by("pk").values_list("pk", flat=True)
    )


def _rows_for(workspace: Workspace, alerts: list[Alert]) -> list[Delivery]:
    memberships = Membership.objects.filter(workspace=workspace, user__is_active=True).select_related("user")
    members = [membership.user for membership in memberships]
    preferences = {p.user_id: p for p in NotificationPreference.objects.filter(workspace=workspace)}
    channels = list(ChatChannel.objects.filter(workspace=workspace, enabled=True))
    rows = []
    for alert in alerts:
        for user in members:
            preference = preferences.get(user.pk) or NotificationPreference(user=user, workspace=workspace)
            if user.email and preference.wants_email(alert.severity):
                rows.append(
                    Delivery(
                        workspace=workspace,
                        alert=alert,
                        recipient=user,
                        address=user.email,
                        digest=preference.is_digest,
                    )
                )
        rows += [
            Delivery(workspace=workspace, alert=alert, channel=channel, address=channel.name)
            for channel in channels
            if channel.wants(alert.severity)
        ]
    return rows


def alerts_fan_out_missed(*, now: datetime | None = None, grace: timedelta = MISSED_FAN_OUT_GRACE) -> int:
    """Fan out alerts whose on-commit fan-out never ran (the broker was down, the process died).

    "Not fanned out" is: not done and without a single delivery row. Alerts older than the give-up
    window are not delivered any more, which also keeps this look-up to recent rows. At most one chunk;
    returns how many were fanned out.
    """
    now = now or timezone.now()
    ids = list(
        Alert.objects.filter(
            is_sent=False,
            deliveries__isnull=True,
            created_at__lte=now - grace,
            created_at__gte=now - settings.NOTIFICATIONS_GIVE_UP_AFTER,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:MISSED_FAN_OUT_CHUNK]
    )
    if ids:
        deliveries_for_alerts(alert_ids=ids)
    return len(ids)


def alerts_fan_out_pending() -> int:
    """Fan out every alert not fanned out yet, however new: for an operator on a box with no worker.

    `run_monitoring --sync` creates alerts whose on-commit fan-out is a message nobody consumes there;
    `send_alerts` right after it must not wait for the sweep's grace. Racing the normal path is harmless
    (the unique constraints hold), so there is no grace here.
    """
    total = 0
    while fanned_out := alerts_fan_out_missed(grace=timedelta(0)):
        total += fanned_out
    return total
