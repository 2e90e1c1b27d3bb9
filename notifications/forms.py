"""Forms of the notifications page: a member's preferences and a workspace's chat channels."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.untrusted import StorableInputMixin

from .models import ChannelKind, ChatChannel, NotificationPreference
from .models.channels import CREDENTIAL

KEEP = _("Stored: %(hint)s. Leave empty to keep it.")
RETYPE = _("The stored value cannot be decrypted (FIELD_ENCRYPTION_KEYS changed): enter it again.")


class PreferenceForm(StorableInputMixin, forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email_enabled", "mode", "min_severity"]
        labels = {"mode": _("How")}


class ChannelForm(StorableInputMixin, forms.ModelForm):
    """One form for the three kinds; `config` is assembled from the fields the kind needs.

    Credentials (the Slack URL, the bot token, the webhook secret) are never put back into the page: on
    edit they are empty, with a masked hint of the stored value, and empty means "keep".
    """

    url = forms.URLField(label=_("URL"), required=False, max_length=500, assume_scheme="https")
    bot_token = forms.CharField(label=_("Bot token"), required=False, max_length=200)
    chat_id = forms.CharField(label=_("Chat id"), required=False, max_length=64)
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        min_length=16,
        max_length=200,
        help_text=_("Leave empty to have one generated; it is shown once."),
    )

    class Meta:
        model = ChatChannel
        fields = ["name", "kind", "min_severity", "enabled"]
        labels = {"name": _("Name"), "kind": _("Kind"), "enabled": _("Enabled")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.generated_secret: str | None = None
        if self.instance.pk:
            self.fields["kind"].disabled = True  # a Slack channel does not turn into a Telegram chat
            config = self.instance.config or {}
            if self.instance.kind == ChannelKind.WEBHOOK:
                self.initial["url"] = config.get("url", "")  # where it posts is not a secret; the secret is
            self.initial["chat_id"] = config.get("chat_id", "")
            readable, credential = self.instance.credentials_readable, CREDENTIAL[self.instance.kind]
            self.fields[credential].help_text = KEEP % {"hint": self.instance.credential_hint} if readable else RETYPE

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or self.instance.kind
        if kind not in ChannelKind.values:
            return data  # the kind's own error says what is wrong; there is no config to assemble
        current = (self.instance.config or {}) if self.instance.pk else {}

        def value(name: str) -> str:
            return (data.get(name) or "").strip() or current.get(name, "")

        if kind == ChannelKind.SLACK:
            config = {"url": value("url")}
        elif kind == ChannelKind.TELEGRAM:
            config = {"bot_token": value("bot_token"), "chat_id": value("chat_id")}
        else:
            secret = value("secret")
            if not secret:
                secret = self.generated_secret = secrets.token_urlsafe(32)
            config = {"url": value("url"), "secret": secret}
        for name, field_value in config.items():
            if not field_value:
                self.add_error(name, _("A %(kind)s channel needs this.") % {"kind": ChannelKind(kind).label})
        self.instance.config = config
        return data
