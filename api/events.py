"""Events become webhook deliveries: one row per subscribed endpoint, made after the event's transaction.

The receivers (api/receivers.py) note what happened inside the transaction that stores it (a check, the
alerts of a re-check, a finished import) and register `transaction.on_commit(..., robust=True)`: once the
rows are committed, the endpoints subscribed are looked up (one indexed query, nothing more when none is)
and a delivery row is made for each, with its body fixed then, so that every attempt sends the same bytes
and a receiver can deduplicate on `id`. Sending is a task per row (api/services/webhooks.py); the beat sweep
sends what a lost message left behind. An event is not delivered if the process dies between the commit
and its on-commit hook: webhooks are a notification, the API is the record (a client reconciles with
`GET /api/v1/...`), as Stripe's own documentation says of its events.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from crm.models import Alert, Counterparty, VerificationCheck

from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from .serializers import AlertSerializer, CheckSummarySerializer, CounterpartySerializer


def deliveries_create(*, workspace_id: int, event: str, data: dict[str, Any], endpoints=None) -> list[int]:
    """One pending delivery of `event` per endpoint of the workspace subscribed to it; returns their ids."""
    if endpoints is None:
        endpoints = list(WebhookEndpoint.objects.subscribed(workspace_id=workspace_id, event=event))
    now = timezone.now()
    rows = []
    for endpoint in endpoints:
        key = uuid.uuid4()
        payload = {"id": str(key), "type": event, "created_at": now.isoformat(), "workspace_id": workspace_id}
        rows.append(
            WebhookDelivery(
                endpoint=endpoint,
                workspace_id=workspace_id,
                event=event,
                key=key,
                payload={**payload, "data": data},
                next_attempt_at=now,
                expires_at=now + settings.NOTIFICATIONS_GIVE_UP_AFTER,
            )
        )
    created = WebhookDelivery.objects.bulk_create(rows)
    ids = [row.pk for row in created]
    if ids:
        from .tasks import webhook_send

        for delivery_id in ids:
            transaction.on_commit(lambda delivery_id=delivery_id: webhook_send.delay(delivery_id))
    return ids


def _absolute(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}"


def check_completed(*, check_id: int, status_before: str | None, status_changed: bool) -> None:
    """check.completed, and counterparty.status_changed when the check changed the counterparty's status."""
    check = VerificationCheck.objects.select_related("counterparty").filter(pk=check_id).first()
    if check is None:
        return
    endpoints = list(WebhookEndpoint.objects.filter(workspace_id=check.workspace_id, enabled=True))
    if not endpoints:
        return
    check_data = {
        **CheckSummarySerializer(check).data,
        "proof_url": _absolute(reverse("api:check-proof", args=[check.pk])),
    }
    deliveries_create(
        workspace_id=check.workspace_id,
        event=WebhookEvent.CHECK_COMPLETED,
        data={"check": check_data},
        endpoints=[e for e in endpoints if WebhookEvent.CHECK_COMPLETED in e.events],
    )
    if status_changed:
        counterparty = Counterparty.objects.filter(pk=check.counterparty_id).prefetch_related("tags").first()
        if counterparty is None:
            return
        data = {
            "counterparty": CounterpartySerializer(counterparty).data,
            "before": status_before,
            "after": check.overall_status,
            "check_id": check.pk,
        }
        deliveries_create(
            workspace_id=check.workspace_id,
            event=WebhookEvent.STATUS_CHANGED,
            data=data,
            endpoints=[e for e in endpoints if WebhookEvent.STATUS_CHANGED in e.events],
        )


def alerts_created(*, alert_ids: list[int]) -> None:
    for alert in Alert.objects.filter(pk__in=alert_ids).select_related("counterparty"):
        deliveries_create(
            workspace_id=alert.workspace_id,
            event=WebhookEvent.ALERT_CREATED,
            data={"alert": AlertSerializer(alert).data},
        )


def import_finished(*, job_id: int) -> None:
    from imports.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    data = {
        "id": job.pk,
        "kind": "import",
        "filename": job.filename,
        "status": job.status,
        "counts": job.counts,
        "verified": job.to_verify,
        "committed_at": job.committed_at.isoformat() if job.committed_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
    deliveries_create(workspace_id=job.workspace_id, event=WebhookEvent.IMPORT_FINISHED, data={"import": data})
