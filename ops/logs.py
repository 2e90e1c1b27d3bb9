"""Log lines operators can search: the request or task they belong to, JSON on request, no secrets.

Configured in the LOGGING dict of settings (`LOG_FORMAT=plain|json`). Every line gets `request_id` (set by
django-guid's middleware from a valid `X-Request-ID` or generated, and carried into the tasks a request
queues by the task's headers) and `task_id` (the Celery task running, if any). A filter on the handler
masks secrets before any formatter sees the line: passwords in URLs, Telegram bot tokens, Slack webhook
paths, bearer tokens and the values of the secret settings, in the message and in the traceback.
"""

from __future__ import annotations

import logging

from celery import current_task
from django_guid import get_guid
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from .redact import redact


class ContextFilter(logging.Filter):
    """Adds `request_id` and `task_id` (None where there is none) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_guid()
        record.task_id = current_task.request.id if current_task else None
        return True


class RedactSecretsFilter(logging.Filter):
    """Masks secrets in the formatted message and the traceback; the record is then passed on."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info:
            # Formatted once here, masked, and kept as exc_text: formatters print exc_text when exc_info is gone.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(BaseJsonFormatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, request_id, task_id, and
    `exc_info` with the traceback, plus whatever a call passes in `extra=`."""

    def __init__(self) -> None:
        super().__init__(
            "{levelname}{name}{message}{request_id}{task_id}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            # Django's request logger passes the request object: its text is the full URL, query included.
            reserved_attrs=[*RESERVED_ATTRS, "request"],
        )
