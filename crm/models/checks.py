"""Verification checks and their per-service results: the evidence a tax authority may ask for."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..evidence import CompressedTextField
from .counterparties import CheckStatus, Counterparty
from .workspaces import Workspace


class CheckTrigger(models.TextChoices):
    USER = "user", _("A user")
    MONITORING = "monitoring", _("Monitoring")
    IMPORT = "import", _("An import")
    RETRY = "retry", _("A retry after an outage")
    SHELL = "shell", _("An operator's command")


class VerificationCheck(models.Model):
    """One verification session of one counterparty: the overall verdict and who asked for it."""

    # No single-column indexes on these two: check_history and check_workspace_recent lead with them.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="checks", verbose_name=_("workspace"), db_index=False
    )
    counterparty = models.ForeignKey(
        Counterparty, on_delete=models.CASCADE, related_name="checks", verbose_name=_("counterparty"), db_index=False
    )
    trigger = models.CharField(
        max_length=12, choices=CheckTrigger.choices, default=CheckTrigger.USER, verbose_name=_("trigger")
    )
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("triggered by"),
    )
    overall_status = models.CharField(max_length=12, choices=CheckStatus.choices, verbose_name=_("overall status"))
    confidence_score = models.PositiveSmallIntegerField(default=0, verbose_name=_("confidence score"))
    consultation_number = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("VIES requestIdentifier: the legal proof of the consultation."),
        verbose_name=_("consultation number"),
    )
    requester_vat_number = models.CharField(max_length=20, blank=True, verbose_name=_("requester vat number"))
    # Set by tasks so that the same message delivered twice stores one check, not two. Unique through a
    # constraint rather than unique=True, which on PostgreSQL adds a second, LIKE-pattern index nobody uses.
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, verbose_name=_("idempotency key"))  # noqa: DJ001 (None = no key)
    started_at = models.DateTimeField(default=timezone.now, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("verification check")
        verbose_name_plural = _("verification checks")
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="check_idempotency_key_unique")]
        indexes = [
            models.Index(fields=["counterparty", "-started_at"], name="check_history"),
            models.Index(fields=["workspace", "-started_at"], name="check_workspace_recent"),
        ]

    def __str__(self) -> str:
        from ..vocabulary import when  # the vocabulary reads these models

        return _("Check of %(vat)s at %(when)s: %(status)s") % {
            "vat": self.counterparty.vat_number,
            "when": when(self.started_at),
            "status": self.get_overall_status_display(),
        }

    @property
    def is_definitive(self) -> bool:
        return self.overall_status in CheckStatus.definitive()


class CheckResult(models.Model):
    """What one service (format rules, VIES, ...) answered within a check, with the raw response kept."""

    # No index of its own: check_result_one_per_service (check_run, service) leads with it.
    check_run = models.ForeignKey(
        VerificationCheck, on_delete=models.CASCADE, related_name="results", db_index=False, verbose_name=_("check run")
    )
    service = models.CharField(max_length=20, verbose_name=_("service"))
    # The member state asked (the counterparty's country code), kept on the row so that the metrics' per-state
    # latency and outages read one table (ops/metrics.py). Empty on results stored before it was recorded.
    country_code = models.CharField(max_length=2, blank=True, verbose_name=_("country code"))
    status = models.CharField(max_length=12, choices=CheckStatus.choices, verbose_name=_("status"))
    # Null name or address: the registry did not disclose it ('---'), which is not a name.
    registered_name = models.CharField(max_length=300, null=True, blank=True, verbose_name=_("registered name"))  # noqa: DJ001 (None = not disclosed)
    registered_address = models.TextField(null=True, blank=True, verbose_name=_("registered address"))  # noqa: DJ001
    match_codes = models.JSONField(default=dict, blank=True, verbose_name=_("match codes"))
    error_code = models.CharField(max_length=64, blank=True, verbose_name=_("error code"))
    message = models.TextField(blank=True, verbose_name=_("message"))
    warnings = models.JSONField(default=list, blank=True, verbose_name=_("warnings"))
    latency_ms = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("latency ms"))
    consultation_number = models.CharField(max_length=64, blank=True, verbose_name=_("consultation number"))
    # The bytes on the wire as text, stored deflated (crm/evidence.py): read back exactly as received.
    raw_request = CompressedTextField(verbose_name=_("raw request"))
    raw_response = CompressedTextField(verbose_name=_("raw response"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["check_run", "service"], name="check_result_one_per_service")]
        # The metrics' window (ops/metrics.py): the last minutes of results, not a scan of every check ever.
        indexes = [models.Index(fields=["created_at"], name="check_result_recent")]

    def __str__(self) -> str:
        return f"{self.service}: {self.get_status_display()}"

    @property
    def raw_response_sha256(self) -> str:
        """The fingerprint of the stored answer that a proof and the audit export print; empty for no answer."""
        return hashlib.sha256(self.raw_response.encode("utf-8")).hexdigest() if self.raw_response else ""
