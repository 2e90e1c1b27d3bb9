"""Chat channels of a workspace: a Slack webhook, a Telegram chat, or a signed webhook of the customer's own."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Severity, Workspace

from ..fields import EncryptedJSONField, Sealed
from .preferences import severity_reaches


class ChannelKind(models.TextChoices):
    SLACK = "slack", _("Slack (incoming webhook)")
    TELEGRAM = "telegram", _("Telegram (bot)")
    WEBHOOK = "webhook", _("Webhook (signed JSON)")


HIDDEN = "••••"


def mask(secret: str) -> str:
    """Enough of a secret to recognise it (its last four characters), never enough to use it."""
    if not secret:
        return ""
    return f"{HIDDEN}{secret[-4:]}" if len(secret) > 8 else HIDDEN


def mask_url(url: str) -> str:
    """A URL whose path is the credential (Slack's): the site, then only the end of it."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return mask(url)
    return f"{parts.scheme}://{parts.hostname}/…/{mask(url)}"


# The entry of each kind's config that is a credential (the rest, a chat id or a webhook's URL, is not).
CREDENTIAL = {ChannelKind.SLACK: "url", ChannelKind.TELEGRAM: "bot_token", ChannelKind.WEBHOOK: "secret"}
UNREADABLE = _("unreadable: no key in FIELD_ENCRYPTION_KEYS opens the stored credentials; enter them again")


class ChatChannel(models.Model):
    """`config` holds what the kind needs: slack {url}, telegram {bot_token, chat_id}, webhook {url, secret}.

    The Slack URL, the bot token and the webhook secret are credentials. The whole `config` is encrypted
    in the database (notifications/fields.py); pages show the credentials masked (`config_summary`) and
    forms never echo them back.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="chat_channels", verbose_name=_("workspace")
    )
    kind = models.CharField(max_length=10, choices=ChannelKind.choices, verbose_name=_("kind"))
    name = models.CharField(max_length=80, verbose_name=_("name"))
    config = EncryptedJSONField(default=dict, blank=True, verbose_name=_("config"))
    min_severity = models.CharField(
        _("Minimum severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    enabled = models.BooleanField(default=True, verbose_name=_("enabled"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def wants(self, severity: str) -> bool:
        return self.enabled and severity_reaches(severity, self.min_severity)

    @property
    def credentials_readable(self) -> bool:
        """False when the stored config is a token that none of the configured keys opens."""
        return not isinstance(self.config, Sealed)

    @property
    def credential_hint(self) -> str:
        """The credential, masked: `https://hooks.slack.com/…/••••abcd`, `••••1234`."""
        if not self.credentials_readable:
            return str(UNREADABLE)
        value = (self.config or {}).get(CREDENTIAL.get(self.kind, ""), "")
        return mask_url(value) if self.kind == ChannelKind.SLACK else mask(value)

    @property
    def config_summary(self) -> str:
        if not self.credentials_readable:
            return str(UNREADABLE)
        config, hint = self.config or {}, self.credential_hint
        if self.kind == ChannelKind.SLACK:
            return _("webhook %(url)s") % {"url": hint}
        if self.kind == ChannelKind.TELEGRAM:
            return _("chat %(chat)s, bot token %(token)s") % {"chat": config.get("chat_id", ""), "token": hint}
        return _("%(url)s, secret %(secret)s") % {"url": config.get("url", ""), "secret": hint}
