"""The outbox: one row per (alert, recipient) and per (alert, channel), and the evidence of each attempt.

A row is the schedule of its own sending: `pending` rows whose `next_attempt_at` has come are due; a
sender claims them (status `sending`, a claim token), sends outside any transaction and records the
outcome. See docs/notifications.md for the guarantees and docs/concurrency.md for the locking.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.backoff import doubling_delay
from crm.models import Alert, Workspace

from .channels import ChatChannel


def default_expiry() -> datetime:
    return timezone.now() + settings.NOTIFICATIONS_GIVE_UP_AFTER


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")

    @classmethod
    def done(cls) -> tuple[str, str]:
        return (cls.SENT, cls.FAILED)


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def due(self, now: datetime | None = None) -> DeliveryQuerySet:
        """Pending rows whose time has come (backed by the partial index `delivery_due`)."""
        return self.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now or timezone.now())

    def stale_claims(self, now: datetime | None = None) -> DeliveryQuerySet:
        """Rows claimed so long ago that their sender must have died mid-send."""
        cutoff = (now or timezone.now()) - settings.NOTIFICATIONS_CLAIM_TIMEOUT
        return self.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff)


class Delivery(models.Model):
    # Stable per row: the Message-ID of its email and the idempotency key of its webhook, so that a
    # resend after an ambiguous failure can be recognised by the receiver as the same message.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("key"))
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("workspace")
    )
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("alert"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    channel = models.ForeignKey(
        ChatChannel,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("channel"),
    )
    # The email address (or channel name) at fan-out time: evidence of where it went.
    address = models.CharField(max_length=254, verbose_name=_("address"))
    # Chosen at fan-out from the recipient's preference: a digest row waits for the daily digest.
    digest = models.BooleanField(default=False, verbose_name=_("digest"))

    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    claim_token = models.UUIDField(null=True, blank=True, verbose_name=_("claim token"))
    provider_message_id = models.CharField(max_length=255, blank=True, verbose_name=_("provider message id"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    # Transient failures are retried until then; an owner's "retry" moves it (settings.NOTIFICATIONS_GIVE_UP_AFTER).
    expires_at = models.DateTimeField(default=default_expiry, verbose_name=_("expires at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    failed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("failed at"))

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False, channel__isnull=True)
                | models.Q(recipient__isnull=True, channel__isnull=False),
                name="delivery_to_recipient_xor_channel",
            ),
            models.CheckConstraint(
                condition=models.Q(digest=False) | models.Q(recipient__isnull=False),
                name="delivery_digest_only_by_email",
            ),
            # A replayed fan-out (a retried task, the sweep) cannot double a delivery.
            models.UniqueConstraint(
                fields=["alert", "recipient"],
                condition=models.Q(recipient__isnull=False),
                name="delivery_once_per_alert_recipient",
            ),
            models.UniqueConstraint(
                fields=["alert", "channel"],
                condition=models.Q(channel__isnull=False),
                name="delivery_once_per_alert_channel",
            ),
        ]
        indexes = [
            # What senders look for every few minutes: only the pending rows are in the index.
            models.Index(fields=["next_attempt_at", "id"], condition=models.Q(status="pending"), name="delivery_due"),
            models.Index(fields=["claimed_at"], condition=models.Q(status="sending"), name="delivery_claimed"),
            # The owners' page of failures.
            models.Index(
                fields=["workspace", "-failed_at"], condition=models.Q(status="failed"), name="delivery_failed_recent"
            ),
        ]

    def __str__(self) -> str:
        return _("Alert %(id)s to %(address)s (%(status)s)") % {
            "id": self.alert_id,
            "address": self.address,
            "status": self.get_status_display(),
        }

    @property
    def is_email(self) -> bool:
        return self.recipient_id is not None

    def retry_delay(self) -> timedelta:
        """Exponential backoff from the number of attempts so far, capped, with a little jitter so that
        a backlog does not hit a recovering provider all in the same second."""
        delay = doubling_delay(
            self.attempts, base=settings.NOTIFICATIONS_RETRY_BASE_DELAY, cap=settings.NOTIFICATIONS_RETRY_MAX_DELAY
        )
        return delay * random.uniform(1.0, 1.1)
