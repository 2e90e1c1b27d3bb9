"""Event webhooks: a workspace's URLs subscribed to events, and one delivery row per (event, endpoint).

An event is a PendingEvent row written with what caused it (the outbox, api/outbox.py); its deliveries are
made from it after the commit (api/events.py) and sent by a task outside any transaction; a delivery's
row is the schedule (pending, due at `next_attempt_at`), as for notifications' deliveries, and every try is
a WebhookAttempt, shown to owners with its answer. The endpoint's signing secret is encrypted at rest with
the chat channels' field (notifications/fields.py).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Workspace
from notifications.fields import EncryptedJSONField, Sealed


class WebhookEvent(models.TextChoices):
    CHECK_COMPLETED = "check.completed", _("A check completed")
    STATUS_CHANGED = "counterparty.status_changed", _("A counterparty's status changed")
    ALERT_CREATED = "alert.created", _("An alert was raised")
    IMPORT_FINISHED = "import.finished", _("An import or batch finished")


def new_signing_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookEndpointQuerySet(models.QuerySet["WebhookEndpoint"]):
    def subscribed(self, *, workspace_id: int, event: str) -> WebhookEndpointQuerySet:
        return self.filter(workspace_id=workspace_id, enabled=True, events__contains=[event])


class WebhookEndpoint(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="webhook_endpoints", verbose_name=_("workspace")
    )
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    # {"secret": "whsec_..."}: encrypted, shown once when the endpoint is made.
    config = EncryptedJSONField(default=dict, verbose_name=_("config"))
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["workspace"], condition=models.Q(enabled=True), name="webhook_enabled")]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        return self.config.get("secret", "")

    @property
    def credentials_readable(self) -> bool:
        """False when no FIELD_ENCRYPTION_KEYS key opens the stored secret (notifications/fields.py)."""
        return not isinstance(self.config, Sealed)


class EventKind(models.TextChoices):
    """What happened, as the outbox records it (never shown); one kind may make several events (a check:
    check.completed, and counterparty.status_changed when it changed the status)."""

    CHECK = "check", _("A check")
    ALERTS = "alerts", _("Alerts")
    IMPORT = "import", _("An import")
    BATCH = "batch", _("A batch")


class PendingEvent(models.Model):
    """The outbox: an event written in the transaction that makes it happen, not yet made into deliveries.

    It commits or rolls back with the check, the alerts or the finished job, so a process that dies after
    the commit loses nothing: the row waits for the sweep. It is deleted in the transaction that makes its
    deliveries (api/outbox.py), so it becomes deliveries exactly once. `context` holds ids and what was
    true at the time (a check's status before it), never the payload, which is built from the rows.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    kind = models.CharField(max_length=8, choices=EventKind.choices, verbose_name=_("kind"))
    context = models.JSONField(default=dict, verbose_name=_("context"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("pending event")
        verbose_name_plural = _("pending events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} event {self.pk} of workspace {self.workspace_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook endpoint")
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    event = models.CharField(max_length=40, choices=WebhookEvent.choices, verbose_name=_("event"))
    # The event's id in the body and the X-Vatcrm-Delivery header: the same for every attempt.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("key"))
    payload = models.JSONField(encoder=DjangoJSONEncoder, verbose_name=_("payload"))
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    claim_token = models.UUIDField(null=True, blank=True, verbose_name=_("claim token"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    failed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("failed at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"], condition=models.Q(status="pending"), name="webhook_delivery_due"
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id}: {self.status}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("webhook delivery")
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=_("at"))
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("status code"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    duration_ms = models.PositiveIntegerField(default=0, verbose_name=_("duration, ms"))

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error[:40]}"
