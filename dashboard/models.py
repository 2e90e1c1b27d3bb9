"""Daily rollups behind the dashboard's charts: past days read a few rows instead of every check.

A closed day (UTC) never changes: checks are stored with the time they started, and a day is closed only
an hour after it ended, when no check that started in it can still be running. `ClosedDay` says that a
day's `CheckDay` and `RegistryDay` rows are complete for every workspace; a day that is not closed yet
(today, or one the periodic task has not reached) is counted live from the checks. A status cannot be
counted afterwards from the checks, so `StatusSnapshot` is taken as the day goes (every refresh
overwrites the day's row), and the last one of a day is that day's point on the status chart.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import CheckStatus, Workspace


class StatusSnapshot(models.Model):
    """A workspace's counterparties by status, as last seen on `day`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    day = models.DateField(verbose_name=_("day"))
    valid = models.PositiveIntegerField(default=0, verbose_name=pgettext_lazy("counterparties", "valid"))
    invalid = models.PositiveIntegerField(default=0, verbose_name=pgettext_lazy("counterparties", "invalid"))
    unchecked = models.PositiveIntegerField(
        default=0, help_text=_("Never checked definitively."), verbose_name=_("not checked")
    )
    monitored = models.PositiveIntegerField(default=0, verbose_name=pgettext_lazy("counterparties", "monitored"))
    taken_at = models.DateTimeField(default=timezone.now, verbose_name=_("taken at"))

    class Meta:
        verbose_name = _("status snapshot")
        verbose_name_plural = _("status snapshots")
        constraints = [models.UniqueConstraint(fields=["workspace", "day"], name="status_snapshot_one_per_day")]

    def __str__(self) -> str:
        return f"{self.workspace_id} on {self.day}: {self.valid} valid, {self.invalid} invalid"


class CheckDay(models.Model):
    """How many checks of a workspace that started on a closed day ended with each overall status."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    day = models.DateField(verbose_name=_("day"))
    status = models.CharField(max_length=12, choices=CheckStatus.choices, verbose_name=_("status"))
    checks = models.PositiveIntegerField(verbose_name=_("checks"))

    class Meta:
        verbose_name = _("checks of a day")
        verbose_name_plural = _("checks of the days")
        constraints = [models.UniqueConstraint(fields=["workspace", "day", "status"], name="check_day_one_per_status")]

    def __str__(self) -> str:
        return f"{self.workspace_id} on {self.day}: {self.checks} {self.status}"


class RegistryDay(models.Model):
    """One member state's registry on a closed day, across every workspace: answers against outages."""

    day = models.DateField(verbose_name=_("day"))
    country_code = models.CharField(max_length=2, verbose_name=_("country code"))
    answers = models.PositiveIntegerField(
        help_text=_("Results with a definitive verdict (valid or invalid)."), verbose_name=_("answers")
    )
    outages = models.PositiveIntegerField(
        help_text=_("Results the registry could not give (unverified)."), verbose_name=_("outages")
    )

    class Meta:
        verbose_name = _("registry's day")
        verbose_name_plural = _("registries' days")
        constraints = [models.UniqueConstraint(fields=["day", "country_code"], name="registry_day_one_per_state")]

    def __str__(self) -> str:
        return f"{self.country_code} on {self.day}: {self.answers} answers, {self.outages} outages"


class ClosedDay(models.Model):
    """A day whose CheckDay and RegistryDay rows are complete."""

    day = models.DateField(primary_key=True, verbose_name=_("day"))
    closed_at = models.DateTimeField(default=timezone.now, verbose_name=_("closed at"))

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")

    def __str__(self) -> str:
        return str(self.day)
