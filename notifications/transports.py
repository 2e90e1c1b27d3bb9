"""Chat transports: Slack incoming webhooks, Telegram bots and signed webhooks, behind one small interface.

A transport sends one `ChatMessage` and returns the provider's message id (or None), or raises
`TransportError`. `permanent=True` means "sending this again cannot work" (a deleted webhook, a chat the
bot was removed from): the delivery is recorded as failed. Anything else is retried later with backoff by
the outbox (notifications/services/sending.py), which is why there is no retry loop in here: a retry
inside the send would hold the claim longer and duplicate the outbox's own schedule.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from .errors import TransportError
from .http import checked_addresses, post_pinned, post_trusted
from .models import ChannelKind, ChatChannel

__all__ = ["ChatMessage", "Transport", "TransportError", "refuse_private_address", "transport_for"]

SIGNATURE_HEADER = "X-Vatcrm-Signature"
DELIVERY_HEADER = "X-Vatcrm-Delivery"
USER_AGENT = "vatcrm-notifications/1"


@dataclass(frozen=True)
class ChatMessage:
    """What a chat channel says about one alert (or a test): each transport formats it its own way."""

    key: str  # idempotency key: the same for every attempt of one delivery
    event: str  # "alert" or "test"
    title: str
    text: str
    url: str
    severity: str
    data: dict[str, Any] = field(default_factory=dict)  # the structured form, for webhooks


class Transport:
    def __init__(self, channel: ChatChannel) -> None:
        self.channel = channel
        self.config: dict[str, Any] = channel.config or {}

    def send(self, message: ChatMessage) -> str | None:
        raise NotImplementedError


def refuse_private_address(url: str) -> None:
    """Raise TransportError if `url` is not http(s) or its host resolves to a non-global address.

    Only a check: sending goes through `post_pinned`, which connects to the address it checked (see
    notifications/http.py for why checking and then resolving again is not enough).
    """
    checked_addresses(url)


class HttpTransport(Transport):
    # Slack and webhook URLs come from users; the Telegram base URL comes from the operator's settings.
    user_supplied_url: ClassVar[bool] = True

    def secrets(self) -> list[str]:
        """Strings that must never appear in an error message stored on a row or shown on a page."""
        return []

    def scrub(self, text: str) -> str:
        # The egress proxy's password as well: a proxy error may quote the proxy's URL.
        for secret in [*self.secrets(), urlsplit(settings.EGRESS_PROXY_URL).password or ""]:
            if secret:
                text = text.replace(secret, "…")
        return text

    def post(self, url: str, *, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
        timeout = (settings.NOTIFICATIONS_HTTP_CONNECT_TIMEOUT, settings.NOTIFICATIONS_HTTP_READ_TIMEOUT)
        try:
            # Redirects are not followed: a POST turned into a GET elsewhere is not a delivery, and a
            # redirect could point to an address refuse_private_address() would have refused.
            # User-typed URLs are connected to at the address that was checked (DNS rebinding), through
            # the egress proxy too; the operator's Telegram URL is trusted and sent by name.
            send = post_pinned if self.user_supplied_url else post_trusted
            response = send(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise TransportError(self.scrub(f"{type(exc).__name__}: {exc}")) from exc
        if not 200 <= response.status_code < 300:
            self.raise_for_response(response)
        return response

    def raise_for_response(self, response: requests.Response) -> NoReturn:
        """429 and 5xx may pass; any other status will not change by asking again."""
        status = response.status_code
        permanent = status != 429 and status < 500
        detail = self.scrub(response.text[:200].strip())
        raise TransportError(f"HTTP {status}" + (f": {detail}" if detail else ""), permanent=permanent)

    @staticmethod
    def json_body(payload: dict[str, Any]) -> bytes:
        return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def slack_escape(text: str) -> str:
    # Slack's mrkdwn treats <, > and & as control characters (links, mentions): a counterparty's name
    # must not be able to ping @channel.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Slack(HttpTransport):
    def secrets(self) -> list[str]:
        # The whole URL is the credential; errors from urllib3 quote only its path ("url: /services/...").
        url = self.config.get("url", "")
        path = urlsplit(url).path
        return [url, path if len(path) > 1 else ""]

    def send(self, message: ChatMessage) -> str | None:
        text = f"*{slack_escape(message.title)}*\n{slack_escape(message.text)}\n<{message.url}|Open in vatcrm>"
        self.post(self.config.get("url", ""), body=self.json_body({"text": text}))
        return None  # Slack's incoming webhooks answer "ok" and no message id


class Telegram(HttpTransport):
    user_supplied_url = False

    def secrets(self) -> list[str]:
        return [self.config.get("bot_token", "")]

    def send(self, message: ChatMessage) -> str | None:
        url = f"{settings.TELEGRAM_API_URL}/bot{self.config.get('bot_token', '')}/sendMessage"
        text = f'<b>{escape(message.title)}</b>\n{escape(message.text)}\n<a href="{escape(message.url)}">Open</a>'
        payload = {
            "chat_id": self.config.get("chat_id", ""),
            "text": text,
            "parse_mode": "HTML",
            "disable_web_page_preview": True,
        }
        response = self.post(url, body=self.json_body(payload))
        try:
            return str(response.json()["result"]["message_id"])
        except (ValueError, KeyError, TypeError):
            return None

    def raise_for_response(self, response: requests.Response) -> NoReturn:
        # Telegram explains itself in JSON: {"ok": false, "error_code": 403, "description": "..."}.
        try:
            answer = response.json()
        except ValueError:
            super().raise_for_response(response)
        description = answer.get("description", "") if isinstance(answer, dict) else ""
        status = response.status_code
        raise TransportError(self.scrub(f"Telegram {status}: {description}"), permanent=status != 429 and status < 500)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The webhook signature: HMAC-SHA256 over "<timestamp>.<body>" with the channel's secret, in hex."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str, *, tolerance: int = 300, now: int | None = None) -> bool:
    """What a receiver does with `X-Vatcrm-Signature: t=<unix time>,v1=<hex>` (docs/notifications.md)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else int(time.time())) - timestamp) > tolerance:
        return False  # an old request replayed
    return hmac.compare_digest(sign(secret, body, timestamp), fields.get("v1", ""))


class Webhook(HttpTransport):
    def secrets(self) -> list[str]:
        return [self.config.get("secret", "")]

    def send(self, message: ChatMessage) -> str | None:
        body = self.json_body(
            {
                "id": message.key,
                "type": message.event,
                "title": message.title,
                "text": message.text,
                "url": message.url,
                "severity": message.severity,
                "data": message.data,
            }
        )
        timestamp = int(time.time())
        signature = sign(self.config.get("secret", ""), body, timestamp)
        headers = {SIGNATURE_HEADER: f"t={timestamp},v1={signature}", DELIVERY_HEADER: message.key}
        self.post(self.config.get("url", ""), body=body, headers=headers)
        return None


TRANSPORTS: dict[str, type[Transport]] = {
    ChannelKind.SLACK: Slack,
    ChannelKind.TELEGRAM: Telegram,
    ChannelKind.WEBHOOK: Webhook,
}


UNDECRYPTABLE = _(
    "The channel's credentials cannot be decrypted with FIELD_ENCRYPTION_KEYS (was its key dropped?): "
    "restore the key, or enter the credentials again, then send again."
)


def transport_for(channel: ChatChannel) -> Transport:
    """The channel's transport; TransportError (permanent) when its stored credentials cannot be read."""
    if not channel.credentials_readable:
        # Sending again cannot help until an operator acts; the owners see this on their page.
        raise TransportError(str(UNDECRYPTABLE), permanent=True)
    return TRANSPORTS[channel.kind](channel)
