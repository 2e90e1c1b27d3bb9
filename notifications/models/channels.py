"""Chat channels of a workspace: a Slack webhook, a Telegram chat, or a signed webhook of the customer's own."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from crm.models import Severity, Workspace

from .preferences import severity_reaches


class ChannelKind(models.TextChoices):
    SLACK = "slack", "Slack (incoming webhook)"
    TELEGRAM = "telegram", "Telegram (bot)"
    WEBHOOK = "webhook", "Webhook (signed JSON)"


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it."""
    if not secret:
        return ""
    return f"…{secret[-4:]}" if len(secret) > 8 else "…"


class ChatChannel(models.Model):
    """`config` holds what the kind needs: slack {url}, telegram {bot_token, chat_id}, webhook {url, secret}.

    The Slack URL, the bot token and the webhook secret are credentials: pages show them masked
    (`config_summary`) and forms never echo them back.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="chat_channels")
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    name = models.CharField(max_length=80)
    config = models.JSONField(default=dict, blank=True)
    min_severity = models.CharField(
        "Minimum severity", max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def wants(self, severity: str) -> bool:
        return self.enabled and severity_reaches(severity, self.min_severity)

    @property
    def config_summary(self) -> str:
        config = self.config or {}
        if self.kind == ChannelKind.SLACK:
            return f"webhook {mask(config.get('url', ''))}"
        if self.kind == ChannelKind.TELEGRAM:
            return f"chat {config.get('chat_id', '')}, bot token {mask(config.get('bot_token', ''))}"
        return f"{config.get('url', '')}, secret {mask(config.get('secret', ''))}"
