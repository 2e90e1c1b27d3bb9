"""What people did to a counterparty: who, when, what changed. Registry answers are in checks, not here."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .counterparties import Counterparty
from .workspaces import Workspace


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    ARCHIVED = "archived", _("Archived")
    RESTORED = "restored", _("Restored")
    MONITORING = "monitoring", _("Monitoring changed")
    TAGGED = "tagged", _("Tags changed")
    IMPORTED = "imported", _("Imported")


class ChangeSource(models.TextChoices):
    WEB = "web", _("Web")
    IMPORT = "import", _("Import")
    API = "api", "API"
    SHELL = "shell", _("Command line")


class CounterpartyChange(models.Model):
    """One change to a counterparty's entered data, kept as the audit trail shown on its page.

    `changes` maps a field to its [old, new] values; the workspace is stored too so that a deleted
    counterparty's trail stays scoped without a join.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    counterparty = models.ForeignKey(
        Counterparty, on_delete=models.CASCADE, related_name="changes", verbose_name=_("counterparty")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    action = models.CharField(max_length=12, choices=ChangeAction.choices, verbose_name=_("action"))
    source = models.CharField(
        max_length=8, choices=ChangeSource.choices, default=ChangeSource.WEB, verbose_name=_("source")
    )
    changes = models.JSONField(default=dict, blank=True, verbose_name=_("changes"))
    at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("changed at"))

    class Meta:
        verbose_name = _("counterparty change")
        verbose_name_plural = _("counterparty changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["counterparty", "-at"], name="change_by_counterparty")]

    def __str__(self) -> str:
        from ..vocabulary import when  # the vocabulary reads these models

        return _("%(action)s: counterparty %(id)s, %(when)s") % {
            "action": self.get_action_display(),
            "id": self.counterparty_id,
            "when": when(self.at),
        }

    def field_changes(self) -> list[tuple[str, str, str]]:
        """(field label, old, new) for the page: lists (tags) joined, moments as stored (ISO, UTC)."""

        def shown(value: object) -> str:
            if isinstance(value, list):
                return ", ".join(str(item) for item in value)
            return "" if value is None else str(value)

        rows = []
        for name, (old, new) in self.changes.items():
            try:
                label = str(Counterparty._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                label = name
            rows.append((label[:1].upper() + label[1:], shown(old), shown(new)))
        return rows
