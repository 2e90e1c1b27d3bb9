"""Log lines: JSON on request, with the request and task they belong to, and never a secret."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Callable, Iterator

import pytest
from celery import shared_task
from django.conf import settings

from ops.logs import ContextFilter, JsonFormatter, PlainFormatter
from tests.test_settings import _manage

pytestmark = pytest.mark.django_db

log = logging.getLogger("vatcrm.tests.ops")


@shared_task(name="tests.ops.log_in_a_task")
def log_in_a_task() -> None:
    log.warning("inside a task")


@pytest.fixture
def lines() -> Iterator[Callable[[], list[dict]]]:
    """What the console handler of LOG_FORMAT=json prints, parsed: a function returning one dict per line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logging.getLogger().addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


def test_one_json_object_per_line_with_the_fields_operators_search(lines):
    log.warning("disk %s is %d%% full", "var", 91)
    (line,) = lines()
    assert line["message"] == "disk var is 91% full"
    assert line["level"] == "WARNING" and line["logger"] == "vatcrm.tests.ops"
    assert line["time"].endswith("+00:00") and "T" in line["time"]
    assert line["request_id"] is None and line["task_id"] is None


def test_a_request_id_is_kept_from_a_valid_header_returned_and_on_its_log_lines(client, lines, settings):
    settings.METRICS_TOKEN = "a-token-long-enough-to-mask"
    given = uuid.uuid4().hex
    response = client.get("/metrics", HTTP_X_REQUEST_ID=given)  # a 401: Django logs it as a warning
    assert response["X-Request-ID"] == given
    (line,) = [line for line in lines() if line["logger"] == "django.request"]
    assert line["request_id"] == given and line["message"] == "Unauthorized: /metrics"
    assert "request" not in line  # its text would be the URL with the query string


def test_a_forged_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='x" level=CRITICAL')
    assert response["X-Request-ID"] != 'x" level=CRITICAL' and len(response["X-Request-ID"]) == 32


def test_a_task_logs_its_task_id(lines):
    result = log_in_a_task.apply()
    (line,) = [line for line in lines() if line["message"] == "inside a task"]
    assert line["task_id"] == result.id and line["request_id"]


def test_secrets_are_masked_in_messages_and_tracebacks(lines, settings):
    settings.METRICS_TOKEN = "metrics-token-0123456789"
    log.warning("POST https://api.telegram.org/bot123456:AAE-secret_token/sendMessage failed")
    log.warning("broker redis://:broker-password@redis:6379/0, token %s", settings.METRICS_TOKEN)
    log.warning("slack https://hooks.slack.com/services/T000/B000/XXXXsecret, %s", "Bearer abc.def-ghi")
    try:
        raise ConnectionError(f"signing with {settings.SECRET_KEY}")
    except ConnectionError:
        log.exception("send failed")
    text = json.dumps(lines())
    secrets = ("AAE-secret_token", "broker-password", "0123456789", "XXXXsecret", "abc.def-ghi", settings.SECRET_KEY)
    for secret in secrets:
        assert secret not in text, secret
    assert "bot***/sendMessage" in text and "ConnectionError: signing with ***" in text


@pytest.mark.parametrize(("log_format", "json_lines"), [("json", True), ("plain", False)])
def test_log_format_selects_the_console_format(log_format, json_lines):
    code = "import logging; logging.getLogger('vatcrm.probe').warning('hello')"
    env = {"DJANGO_SETTINGS_MODULE": "vatcrm.settings", "DEBUG": "1", "LOG_FORMAT": log_format}
    result = _manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "hello" in line]
    if json_lines:
        assert json.loads(line)["logger"] == "vatcrm.probe"
    else:
        assert line.endswith("WARNING vatcrm.probe hello")


def test_an_unknown_log_format_refuses_to_start():
    result = _manage("check", env={"DJANGO_SETTINGS_MODULE": "vatcrm.settings", "DEBUG": "1", "LOG_FORMAT": "xml"})
    assert result.returncode != 0 and "LOG_FORMAT must be" in result.stderr


def test_the_plain_format_masks_secrets_too_and_leaves_the_record_alone():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "via %s", ("redis://:pw-123456@r/0",), None)
    assert PlainFormatter().format(record).endswith("WARNING x via redis://:***@r/0")
    assert record.getMessage() == "via redis://:pw-123456@r/0"  # other handlers (Sentry's) see it unchanged
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["context"]
