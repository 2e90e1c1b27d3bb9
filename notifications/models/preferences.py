"""A member's choice of how to hear about alerts in one workspace."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Severity, Workspace


class DeliveryMode(models.TextChoices):
    IMMEDIATE = "immediate", _("One email per alert")
    DIGEST = "digest", _("One daily digest")


def severity_reaches(severity: str, minimum: str) -> bool:
    return Severity(severity).rank >= Severity(minimum).rank


class NotificationPreference(models.Model):
    """Per (user, workspace). A member without a row gets the defaults: rows are created when first edited.

    The default minimum is "warning": a lost or changed registration reaches everyone, while "valid again"
    (info) is good news that nobody needs to be woken for; members who want it lower the threshold.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="notification_preferences", verbose_name=_("workspace")
    )
    email_enabled = models.BooleanField(_("Email me alerts"), default=True)
    mode = models.CharField(
        max_length=10, choices=DeliveryMode.choices, default=DeliveryMode.IMMEDIATE, verbose_name=_("mode")
    )
    min_severity = models.CharField(
        _("Minimum severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="notification_preference_one_per_member")
        ]

    def __str__(self) -> str:
        return _("%(user)s in %(workspace)s: %(mode)s, from %(severity)s") % {
            "user": self.user,
            "workspace": self.workspace,
            "mode": self.get_mode_display(),
            "severity": self.get_min_severity_display(),
        }

    @classmethod
    def for_member(cls, *, user, workspace: Workspace) -> NotificationPreference:
        """The stored row, or an unsaved one with the defaults (reading never writes)."""
        return cls.objects.filter(user=user, workspace=workspace).first() or cls(user=user, workspace=workspace)

    def wants_email(self, severity: str) -> bool:
        return self.email_enabled and severity_reaches(severity, self.min_severity)

    @property
    def is_digest(self) -> bool:
        return self.mode == DeliveryMode.DIGEST
