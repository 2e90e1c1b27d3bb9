"""Sentry starts only with SENTRY_DSN, reports web and task errors, and sends no personal data or secrets."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from ops.sentry import sentry_init
from tests.test_settings import _manage

# sentry-sdk 2.75 deprecates send_default_pii for a data_collection dict whose omitted fields default to
# collecting, and which turns the default scrubber off: the explicit False stays (ops/sentry.py).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:The send_default_pii option is deprecated:DeprecationWarning"),
]

SHELL_ENV = {"DJANGO_SETTINGS_MODULE": "vatcrm.settings", "DEBUG": "1"}


class FakeSentry(ThreadingHTTPServer):
    """Accepts envelopes as sentry.io does (POST /api/<project>/envelope/) and keeps their bodies."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        super().__init__(("127.0.0.1", 0), self.Handler)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            self.server.bodies.append(body.decode())
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass


@pytest.fixture
def fake_sentry() -> Iterator[FakeSentry]:
    server = FakeSentry()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


class CapturingTransport(Transport):
    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict]:
        return [item.payload.json for envelope in self.envelopes for item in envelope.items if item.type == "event"]


@pytest.fixture
def sentry_events() -> Iterator[CapturingTransport]:
    transport = CapturingTransport()
    sentry_init(
        dsn="http://public@127.0.0.1:9/1",
        environment="test",
        release="1.2.3",
        traces_sample_rate=0.0,
        transport=transport,
    )
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_sentry_is_not_started_without_a_dsn():
    result = _manage("shell", "-c", "import sentry_sdk; print(sentry_sdk.is_initialized())", env=SHELL_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_with_a_dsn_settings_start_sentry_and_events_reach_it(fake_sentry):
    port = fake_sentry.server_address[1]
    code = (
        "import sentry_sdk; c = sentry_sdk.get_client();"
        "print(sorted(c.integrations), c.options['send_default_pii']);"
        "sentry_sdk.capture_message('hello from vatcrm'); sentry_sdk.flush(5)"
    )
    env = {
        **SHELL_ENV,
        "SENTRY_DSN": f"http://public@127.0.0.1:{port}/1",
        "SENTRY_ENVIRONMENT": "staging",
        "SENTRY_RELEASE": "vatcrm@4.5.6",
    }
    result = _manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert "'celery'" in result.stdout and "'django'" in result.stdout and "False" in result.stdout
    events = [json.loads(line) for body in fake_sentry.bodies for line in body.splitlines() if '"message"' in line]
    assert events and events[0]["message"] == "hello from vatcrm"
    assert events[0]["environment"] == "staging" and events[0]["release"] == "vatcrm@4.5.6"


def test_a_request_error_is_sent_without_personal_data_or_secrets(owner, sentry_events):
    # Through Django's WSGI handler, as gunicorn calls it: the test client bypasses Sentry's WSGI wrapper.
    session = owner.client.cookies[settings.SESSION_COOKIE_NAME].value
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz/ready",
        "QUERY_STRING": "token=query-secret-1234",
        "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session}",
        "HTTP_AUTHORIZATION": "Bearer header-secret-1234",
        "HTTP_X_FORWARDED_FOR": "203.0.113.9",
        "REMOTE_ADDR": "198.51.100.7",
        "HTTP_HOST": "testserver",
    }
    setup_testing_defaults(environ)
    failure = RuntimeError("could not reach redis://:hunter2-password@redis:6379/0")
    # As Django's test client does: the request signals would close the test's connection, which holds its
    # transaction, and the middleware that reads the database after that would fail for the wrong reason.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with mock.patch("ops.health.readiness", side_effect=failure):
            WSGIHandler()(environ, lambda status, headers: None)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    sentry_sdk.flush()
    (event,) = sentry_events.events()
    assert event["exception"]["values"][0]["type"] == "RuntimeError"
    assert event["request"]["url"].endswith("/healthz/ready")
    text = json.dumps(event)
    secrets = ("hunter2-password", session, "header-secret-1234", "query-secret-1234", "203.0.113.9", "198.51.100.7")
    for secret in (*secrets, owner.user.email):
        assert secret not in text, text[max(0, text.find(secret) - 300) : text.find(secret) + 50]
    assert "cookies" not in event["request"] and "user" not in event
