"""The requester's own companies and the counterparties it checks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .workspaces import Workspace

if TYPE_CHECKING:
    from verification.verdicts import ServiceResult

    from .checks import VerificationCheck


class CheckStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")
    UNVERIFIED = "unverified", _("Unverified")
    ERROR = "error", _("Error")

    @classmethod
    def definitive(cls) -> tuple[str, str]:
        """Statuses that say something about the number; the others say something about the registry."""
        return (cls.VALID, cls.INVALID)


class MonitoringFrequency(models.TextChoices):
    OFF = "off", _("Off")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")

    @property
    def interval(self) -> timedelta | None:
        return {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}.get(self.value)


class Company(models.Model):
    """The workspace's own legal entity, sent to VIES as the requester to obtain a consultation number."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="companies", verbose_name=_("workspace")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    vat_number = models.CharField(
        max_length=20, help_text=_("Normalised: country code and number."), verbose_name=_("vat number")
    )
    address = models.TextField(blank=True, verbose_name=_("address"))
    is_default = models.BooleanField(default=True, verbose_name=_("is default"))
    requester_rejected_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("VIES refused this VAT number as requester (INVALID_REQUESTER_INFO)."),
        verbose_name=_("requester rejected at"),
    )
    # What the registry said of the company's own number when it was entered: valid, invalid (refused, so
    # never stored), or unverified (the registry did not answer; kept, and confirmed by a later check).
    registry_status = models.CharField(
        max_length=12, choices=CheckStatus.choices, blank=True, verbose_name=_("registry status")
    )
    registry_checked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("registry checked at"))
    registered_name = models.CharField(max_length=300, blank=True, verbose_name=_("registered name"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "vat_number"], name="company_unique_vat_per_workspace")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.vat_number})"


class CounterpartyQuerySet(models.QuerySet["Counterparty"]):
    def for_workspace(self, workspace: Workspace) -> CounterpartyQuerySet:
        return self.filter(workspace=workspace)

    def active(self) -> CounterpartyQuerySet:
        """Not archived: what the list shows by default and what monitoring may re-check."""
        return self.filter(archived_at__isnull=True)

    def monitored(self) -> CounterpartyQuerySet:
        return self.exclude(monitoring=MonitoringFrequency.OFF)

    def due(self, now: datetime | None = None) -> CounterpartyQuerySet:
        """Monitored counterparties whose next check time has come (backed by a partial index)."""
        return self.monitored().filter(next_check_due_at__lte=now or timezone.now())


class Counterparty(models.Model):
    """A business the workspace trades with, identified by its normalised VAT number."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="counterparties", verbose_name=_("workspace")
    )
    vat_number = models.CharField(
        max_length=20, help_text=_("Normalised: VIES country code and number."), verbose_name=_("vat number")
    )
    country_code = models.CharField(max_length=2, verbose_name=_("country code"))
    name = models.CharField(max_length=200, blank=True, help_text=_("As entered by the user."), verbose_name=_("name"))
    address = models.TextField(blank=True, help_text=_("As entered by the user."), verbose_name=_("address"))
    # What the registry last said. Null means "not disclosed" (VIES returns '---'), never an empty name.
    registered_name = models.CharField(max_length=300, null=True, blank=True, verbose_name=_("registered name"))  # noqa: DJ001 (None = not disclosed)
    registered_address = models.TextField(null=True, blank=True, verbose_name=_("registered address"))  # noqa: DJ001
    # The last definitive status (valid/invalid): an outage does not overwrite what we knew.
    status = models.CharField(  # noqa: DJ001 (None = never checked)
        max_length=12, choices=CheckStatus.choices, null=True, blank=True, verbose_name=_("status")
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("status changed at"))
    last_check = models.ForeignKey(
        "crm.VerificationCheck",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last check"),
    )
    last_checked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last checked at"))
    # An unverified check a person asked for is retried with backoff; cleared by a definitive answer.
    retry_at = models.DateTimeField(null=True, blank=True, verbose_name=_("retry at"))
    retry_attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("retry attempts"))
    monitoring = models.CharField(
        max_length=8, choices=MonitoringFrequency.choices, default=MonitoringFrequency.OFF, verbose_name=_("monitoring")
    )
    next_check_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next check due at"))
    # The workspace's own bookkeeping, never sent to a registry.
    external_reference = models.CharField(
        max_length=100, blank=True, help_text=_("The id in the team's ERP."), verbose_name=_("external reference")
    )
    notes = models.TextField(blank=True, verbose_name=_("notes"))
    tags = models.ManyToManyField("crm.Tag", blank=True, related_name="counterparties", verbose_name=_("tags"))
    # Archived counterparties keep their checks as evidence but leave monitoring and the default list.
    archived_at = models.DateTimeField(null=True, blank=True, verbose_name=_("archived at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = CounterpartyQuerySet.as_manager()

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["name", "vat_number"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "vat_number"], name="counterparty_unique_vat_per_workspace")
        ]
        indexes = [
            # The CRM list: one workspace, sorted by name or by recent activity, filtered by status. The default
            # order's index covers the id, so a deep page's ids come from the index alone (crm/pagination.py).
            models.Index(
                fields=["workspace", "name", "vat_number"],
                include=["id"],
                condition=models.Q(archived_at__isnull=True),
                name="counterparty_active_by_name",
            ),
            models.Index(fields=["workspace", "-last_checked_at"], name="counterparty_list_by_check"),
            models.Index(fields=["workspace", "status"], name="counterparty_list_by_status"),
            # The dashboard's counts by status and monitoring: an index-only scan, not a read of every row.
            models.Index(
                fields=["workspace", "status", "monitoring"],
                condition=models.Q(archived_at__isnull=True),
                name="counterparty_active_status",
            ),
            models.Index(
                fields=["workspace", "external_reference"],
                condition=~models.Q(external_reference=""),
                name="counterparty_by_external_ref",
            ),
            # "Due for monitoring": only the monitored rows are in the index, ordered by due time.
            models.Index(
                fields=["next_check_due_at", "id"],
                condition=~models.Q(monitoring="off"),
                name="counterparty_due_monitoring",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.vat_number})"

    @property
    def display_name(self) -> str:
        return self.name or self.registered_name or self.vat_number

    @property
    def is_monitored(self) -> bool:
        return self.monitoring != MonitoringFrequency.OFF

    def latest_check(self) -> VerificationCheck | None:
        return self.checks.order_by("-started_at", "-id").first()

    def latest_definitive_check(self) -> VerificationCheck | None:
        return self.checks.filter(overall_status__in=CheckStatus.definitive()).order_by("-started_at", "-id").first()

    def record_check(self, check: VerificationCheck, *, registry: ServiceResult | None = None) -> None:
        """Take in a stored check: a definitive one sets the status; an outage leaves what we knew.

        `registry` is the deciding registry's result (a verdict's ServiceResult): a name or address it
        withheld ('---', None) keeps the last one it disclosed.
        """
        self.last_check = check
        self.last_checked_at = check.finished_at or check.started_at
        if not check.is_definitive:
            return
        if self.status != check.overall_status:
            self.status = check.overall_status
            self.status_changed_at = self.last_checked_at
        if registry is not None:
            self.registered_name = registry.name or self.registered_name
            self.registered_address = registry.address or self.registered_address
        self.retry_at = None
        self.retry_attempts = 0

    def schedule_next_check(self, *, after: datetime | None = None) -> None:
        """Set the next due time from the frequency; monitoring off means never due."""
        interval = MonitoringFrequency(self.monitoring).interval
        self.next_check_due_at = (after or timezone.now()) + interval if interval else None


class Tag(models.Model):
    """A workspace's own label for grouping counterparties ("supplier", "DACH", ...)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tags", verbose_name=_("workspace"))
    name = models.CharField(max_length=50, verbose_name=_("name"))

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="tag_unique_name_per_workspace")]

    def __str__(self) -> str:
        return self.name
