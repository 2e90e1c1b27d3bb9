"""Log lines operators can search: the request or task they belong to, JSON on request, no secrets.

Configured in the LOGGING dict of settings (`LOG_FORMAT=plain|json`). Every line gets `request_id` (set by
django-guid's middleware from a valid `X-Request-ID` or generated, and carried into the tasks a request
queues by the task's headers) and `task_id` (the Celery task running, if any). Both formatters mask
secrets in what they write: passwords in URLs, Telegram bot tokens, Slack webhook paths, bearer tokens and
the values of the secret settings, in the message and in the traceback.
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


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole formatted line (message and traceback alike).

    In the formatter, not in a filter: a filter would have to rewrite the record, which every other handler
    (Sentry's, a test's) shares; the formatter changes only its own output.
    """

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class PlainFormatter(RedactingFormatter):
    """`time level logger message`, for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")


class JsonFormatter(RedactingFormatter, BaseJsonFormatter):
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
