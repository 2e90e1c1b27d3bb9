"""Masking of secrets in free text (log lines, Sentry events), by pattern and by the secret settings' values.

Imported by the logging configuration and by settings (Sentry): it reads settings only when it is called.
"""

from __future__ import annotations

import re

from django.conf import settings

MASK = "***"
SECRET_PATTERNS = [
    (re.compile(r"(://[^/\s:@]*:)[^/\s@]+@"), rf"\g<1>{MASK}@"),  # scheme://user:password@host
    (re.compile(r"(/bot)\d+:[\w-]+"), rf"\g<1>{MASK}"),  # Telegram: https://api.telegram.org/bot<token>/...
    (re.compile(r"(hooks\.slack\.com/services/)[\w/-]+"), rf"\g<1>{MASK}"),
    (re.compile(r"(?i)(bearer\s+)[\w.~+/=-]+"), rf"\g<1>{MASK}"),
    (re.compile(r"(?i)(api-key\s+)[\w.~+/=-]+"), rf"\g<1>{MASK}"),
    # API keys wherever they appear (a query string, a pasted header): vcrm_<prefix>_<secret> (api/models/keys.py).
    (re.compile(r"\b(vcrm_[0-9a-f]{8}_)[\w-]+"), rf"\g<1>{MASK}"),
]
# Shorter values are not masked: "on" or "25" would be masked everywhere else in the text.
MIN_SECRET_LENGTH = 8


def redact(text: str) -> str:
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    for secret in _configured_secrets():
        text = text.replace(secret, MASK)
    return text


def _configured_secrets() -> list[str]:
    values = [
        settings.SECRET_KEY,
        settings.METRICS_TOKEN,
        settings.EMAIL_HOST_PASSWORD,
        settings.DATABASES["default"].get("PASSWORD") or "",
        *settings.ANYMAIL.values(),
        *getattr(settings, "FIELD_ENCRYPTION_KEYS", []),  # the chat credentials' encryption keys, where set
    ]
    return [value for value in values if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH]
