"""Sentry, when SENTRY_DSN is set (settings call `sentry_init`): errors of web requests and Celery tasks.

No personal data leaves: `send_default_pii=False` keeps out users, IP addresses, cookies and auth headers,
and the SDK's default scrubber drops values of keys that look secret. Request bodies (VAT numbers, names
typed in forms), query strings (search terms, filters) and the local variables of stack frames are not
sent at all. What remains free text (log messages, exception values, breadcrumbs such as the URLs of
outgoing HTTP calls, which name a Telegram bot's token) goes through the same masking as the log lines.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from .redact import redact


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float, **options: Any) -> None:
    """Start the SDK; `options` go to `sentry_sdk.init` as they are (a test passes its own transport)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        # Frame locals hold whatever a function had in hand: a channel's config with its bot token, a
        # counterparty's data, the request with its query. The scrubber matches key names only, so none go.
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,
        before_breadcrumb=scrub_event,
        **options,
    )


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Mask secrets in an event's (or a breadcrumb's) free text: messages, exception values, data."""
    if isinstance(event.get("request"), dict):
        event["request"].pop("query_string", None)
    if isinstance(event.get("extra"), dict):
        event["extra"].pop("request", None)  # a log record's request: its text is the URL with the query
    for key in ("message", "logentry", "exception", "data", "breadcrumbs"):
        if key in event:
            event[key] = _redact_strings(event[key])
    return event


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    return value
