"""Where the API listens for its webhook events; each hook only notes ids and waits for the commit."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from crm.models import VerificationCheck, Workspace
from crm.signals import alerts_created
from imports.signals import import_finished

from . import events
from .models import WebhookEndpoint


def workspace_webhooks_refresh(*, workspace_id: int) -> None:
    """Record on the workspace whether any of its webhook endpoints is enabled."""
    enabled = WebhookEndpoint.objects.filter(workspace_id=OuterRef("pk"), enabled=True)
    Workspace.objects.filter(pk=workspace_id).update(has_webhooks=Exists(enabled))


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
    changed = instance.is_definitive and before != instance.overall_status
    transaction.on_commit(
        partial(events.check_completed, check_id=instance.pk, status_before=before, status_changed=changed),
        robust=True,
    )


@receiver(alerts_created, dispatch_uid="api.alerts_created")
def alerts_raised(sender, alerts, **kwargs) -> None:
    alert_ids = [alert.pk for alert in alerts]
    transaction.on_commit(partial(events.alerts_created, alert_ids=alert_ids), robust=True)


@receiver(import_finished, dispatch_uid="api.import_finished")
def import_done(sender, job_id: int, **kwargs) -> None:
    transaction.on_commit(partial(events.import_finished, job_id=job_id), robust=True)
