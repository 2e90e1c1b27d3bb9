"""Alerts: a change that monitoring found between two checks of a counterparty."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .checks import VerificationCheck
from .counterparties import Counterparty
from .workspaces import Workspace


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "critical": 2}[self.value]


class AlertKind(models.TextChoices):
    VALIDITY_LOST = "validity_lost", _("VAT registration no longer valid")
    VALIDITY_REGAINED = "validity_regained", _("VAT registration valid again")
    NAME_CHANGED = "name_changed", _("Registered name changed")
    ADDRESS_CHANGED = "address_changed", _("Registered address changed")
    UNVERIFIABLE = "unverifiable", _("Registry unreachable for too long")


class AlertQuerySet(models.QuerySet["Alert"]):
    def open(self) -> AlertQuerySet:
        """Not acknowledged yet: what the inbox and the navigation count (backed by a partial index)."""
        return self.filter(acknowledged_at__isnull=True)


class Alert(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("workspace")
    )
    counterparty = models.ForeignKey(
        Counterparty, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("counterparty")
    )
    kind = models.CharField(max_length=20, choices=AlertKind.choices, verbose_name=_("kind"))
    severity = models.CharField(max_length=10, choices=Severity.choices, verbose_name=_("severity"))
    before = models.TextField(blank=True, verbose_name=_("before"))
    after = models.TextField(blank=True, verbose_name=_("after"))
    previous_check = models.ForeignKey(
        VerificationCheck,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous check"),
    )
    check_run = models.ForeignKey(
        VerificationCheck, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("check run")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    is_sent = models.BooleanField(default=False, verbose_name=_("is sent"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    # A person of the workspace saw it and dealt with it; the comment says how (for the next auditor).
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged at"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledgement_comment = models.TextField(blank=True, verbose_name=_("acknowledgement comment"))

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One check can raise each kind of alert once: a replayed re-check cannot double it.
            models.UniqueConstraint(fields=["check_run", "kind"], name="alert_one_kind_per_check")
        ]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="alert_workspace_recent"),
            # The delivery sweep looks for recent alerts not delivered yet: a small, shrinking set.
            models.Index(fields=["created_at"], condition=models.Q(is_sent=False), name="alert_not_sent"),
            # The open count in every page's navigation: only the unacknowledged alerts are in it.
            models.Index(fields=["workspace"], condition=models.Q(acknowledged_at__isnull=True), name="alert_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.get_kind_display()} — {self.counterparty}"
