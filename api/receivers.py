"""Where the API listens for its webhook events: each hook writes the event, in the transaction that causes
it, as a PendingEvent (api/outbox.py); only the enqueue of its dispatch waits for the commit.

A workspace with no enabled endpoint costs nothing (no statement on a check: its workspace is loaded).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from crm.models import Alert, Counterparty, VerificationCheck, Workspace
from crm.signals import alerts_created
from imports.signals import import_finished

from .models import EventKind, WebhookEndpoint
from .outbox import event_record


def workspace_webhooks_refresh(*, workspace_id: int) -> None:
    """Record on the workspace whether any of its webhook endpoints is enabled."""
    enabled = WebhookEndpoint.objects.filter(workspace_id=OuterRef("pk"), enabled=True)
    Workspace.objects.filter(pk=workspace_id).update(has_webhooks=Exists(enabled))


def workspace_listens(workspace_id: int) -> bool:
    return Workspace.objects.filter(pk=workspace_id, has_webhooks=True).exists()


@receiver(post_save, sender=WebhookEndpoint, dispatch_uid="api.endpoint_saved")
@receiver(post_delete, sender=WebhookEndpoint, dispatch_uid="api.endpoint_deleted")
def endpoint_changed(sender, instance: WebhookEndpoint, **kwargs) -> None:
    workspace_webhooks_refresh(workspace_id=instance.workspace_id)
    if WebhookEndpoint.workspace.is_cached(instance):  # the caller's own workspace object follows too
        instance.workspace.refresh_from_db(fields=["has_webhooks"])


@receiver(post_save, sender=VerificationCheck, dispatch_uid="api.check_stored")
def check_stored(sender, instance: VerificationCheck, created: bool, raw: bool = False, **kwargs) -> None:
    """A new check. crm's `verdict_store` creates it before it updates the counterparty (which it holds
    locked), so the counterparty it carries still has the status from before this check: the status changes
    exactly when `Counterparty.record_check` will change it, a definitive answer that differs."""
    # The counterparty's workspace is already loaded on the re-check path: no query when nobody listens.
    if not created or raw or not instance.counterparty.workspace.has_webhooks:
        return
    before = instance.counterparty.status
    context = {
        "check_id": instance.pk,
        "status_before": before,
        "status_changed": instance.is_definitive and before != instance.overall_status,
    }
    event_record(workspace_id=instance.workspace_id, kind=EventKind.CHECK, context=context)


def _alert_listens(alert: Alert) -> bool:
    """The workspace's flag, from the objects the re-check already holds when it can (no query)."""
    if Alert.counterparty.is_cached(alert) and Counterparty.workspace.is_cached(alert.counterparty):
        return alert.counterparty.workspace.has_webhooks
    if Alert.workspace.is_cached(alert):
        return alert.workspace.has_webhooks
    return workspace_listens(alert.workspace_id)


@receiver(alerts_created, dispatch_uid="api.alerts_created")
def alerts_raised(sender, alerts, **kwargs) -> None:
    listening: dict[int, bool] = {}
    by_workspace: dict[int, list[int]] = defaultdict(list)
    for alert in alerts:
        if alert.workspace_id not in listening:
            listening[alert.workspace_id] = _alert_listens(alert)
        if listening[alert.workspace_id]:
            by_workspace[alert.workspace_id].append(alert.pk)
    for workspace_id, alert_ids in by_workspace.items():
        event_record(workspace_id=workspace_id, kind=EventKind.ALERTS, context={"alert_ids": alert_ids})


@receiver(import_finished, dispatch_uid="api.import_finished")
def import_done(sender, job_id: int, **kwargs) -> None:
    from imports.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id, workspace__has_webhooks=True).values_list("workspace_id", flat=True)
    workspace_id = job.first()
    if workspace_id is not None:
        event_record(workspace_id=workspace_id, kind=EventKind.IMPORT, context={"job_id": job_id})
