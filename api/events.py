"""What each event sends: the deliveries made from a PendingEvent, one row per subscribed endpoint.

The event itself was written in the transaction that caused it (api/outbox.py, the outbox); these
builders run once it has committed, in the transaction that deletes it. Each looks up the endpoints
subscribed (one indexed query, nothing more when none is) and makes one delivery per endpoint, its body
fixed then (`created_at` is when the event happened), so that every attempt sends the same bytes and a
receiver can deduplicate on `id`. Sending is a task per row, enqueued once the deliveries are committed
(api/services/webhooks.py); the beat sweep sends what a lost message left behind.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from crm.models import Alert, Counterparty, VerificationCheck

from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from .serializers import AlertSerializer, CheckSummarySerializer, CounterpartySerializer


def deliveries_create(
    *,
    workspace_id: int,
    event: str,
    data: dict[str, Any],
    occurred_at: datetime | None = None,
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[int]:
    """One pending delivery of `event` per endpoint of the workspace subscribed to it; returns their ids."""
    if endpoints is None:
        endpoints = list(WebhookEndpoint.objects.subscribed(workspace_id=workspace_id, event=event))
    now = timezone.now()
    created_at = (occurred_at or now).isoformat()
    rows = []
    for endpoint in endpoints:
        key = uuid.uuid4()
        payload = {"id": str(key), "type": event, "created_at": created_at, "workspace_id": workspace_id}
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
            # robust: a broker that is down fails nothing; the sweep sends the committed rows.
            transaction.on_commit(lambda delivery_id=delivery_id: webhook_send.delay(delivery_id), robust=True)
    return ids


def _absolute(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}"


def check_completed(
    *, workspace_id: int, occurred_at: datetime, check_id: int, status_before: str | None, status_changed: bool
) -> list[int]:
    """check.completed, and counterparty.status_changed when the check changed the counterparty's status.

    `status_before` and `status_changed` were noted when the check was stored (the counterparty may have
    been checked again since): the event says what this check did."""
    endpoints = list(WebhookEndpoint.objects.filter(workspace_id=workspace_id, enabled=True))
    if not endpoints:
        return []
    check = VerificationCheck.objects.select_related("counterparty").filter(pk=check_id).first()
    if check is None:
        return []
    check_data = {
        **CheckSummarySerializer(check).data,
        "proof_url": _absolute(reverse("api:check-proof", args=[check.pk])),
    }
    made = deliveries_create(
        workspace_id=workspace_id,
        event=WebhookEvent.CHECK_COMPLETED,
        data={"check": check_data},
        occurred_at=occurred_at,
        endpoints=[e for e in endpoints if WebhookEvent.CHECK_COMPLETED in e.events],
    )
    if status_changed:
        counterparty = Counterparty.objects.filter(pk=check.counterparty_id).prefetch_related("tags").first()
        if counterparty is None:
            return made
        data = {
            "counterparty": CounterpartySerializer(counterparty).data,
            "before": status_before,
            "after": check.overall_status,
            "check_id": check.pk,
        }
        made += deliveries_create(
            workspace_id=workspace_id,
            event=WebhookEvent.STATUS_CHANGED,
            data=data,
            occurred_at=occurred_at,
            endpoints=[e for e in endpoints if WebhookEvent.STATUS_CHANGED in e.events],
        )
    return made


def alerts_created(*, workspace_id: int, occurred_at: datetime, alert_ids: list[int]) -> list[int]:
    """alert.created, once per alert."""
    endpoints = list(WebhookEndpoint.objects.subscribed(workspace_id=workspace_id, event=WebhookEvent.ALERT_CREATED))
    made: list[int] = []
    if not endpoints:
        return made
    for alert in Alert.objects.filter(pk__in=alert_ids, workspace_id=workspace_id).select_related("counterparty"):
        made += deliveries_create(
            workspace_id=workspace_id,
            event=WebhookEvent.ALERT_CREATED,
            data={"alert": AlertSerializer(alert).data},
            occurred_at=occurred_at,
            endpoints=endpoints,
        )
    return made


def import_finished(*, workspace_id: int, occurred_at: datetime, job_id: int) -> list[int]:
    """import.finished of an import (imports/)."""
    from imports.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id, workspace_id=workspace_id).first()
    if job is None:
        return []
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
    return deliveries_create(
        workspace_id=workspace_id, event=WebhookEvent.IMPORT_FINISHED, data={"import": data}, occurred_at=occurred_at
    )


def batch_finished(*, workspace_id: int, occurred_at: datetime, batch_id: int) -> list[int]:
    """import.finished of an API batch, with its progress."""
    from .models import Batch
    from .services.batches import batch_progress

    batch = Batch.objects.filter(pk=batch_id, workspace_id=workspace_id).first()
    if batch is None:
        return []
    return deliveries_create(
        workspace_id=workspace_id,
        event=WebhookEvent.IMPORT_FINISHED,
        data={"batch": batch_progress(batch)},
        occurred_at=occurred_at,
    )
