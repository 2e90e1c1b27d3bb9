"""Slack, Telegram and webhook transports against a local HTTP fake; the outbox's reading of their errors."""

from __future__ import annotations

import json
import time

import pytest

from crm.models import Severity
from notifications.models import ChannelKind, Delivery, DeliveryStatus
from notifications.services import channel_send_test, deliveries_for_alerts, deliveries_send
from notifications.transports import (
    ChatMessage,
    TransportError,
    refuse_private_address,
    sign,
    transport_for,
    verify_signature,
)
from tests.factories import AlertFactory

from .factories import ChatChannelFactory
from .fakes import free_port

MESSAGE = ChatMessage(
    key="3f1c6a52-1b8e-4b8e-9a53-0c2b1f1f0a11",
    event="alert",
    title="Critical: VAT registration no longer valid — <!channel> & Co (NL123456789B01)",
    text="valid → invalid",
    url="https://vatcrm.example/crm/counterparty/7/",
    severity=Severity.CRITICAL,
    data={"alert_id": 1},
)


def channel(kind: str, **config):
    return ChatChannelFactory.build(kind=kind, config=config)


def test_slack_posts_escaped_text_to_the_webhook(http_fake):
    assert transport_for(channel(ChannelKind.SLACK, url=f"{http_fake.url}/services/T1/B2/xyz")).send(MESSAGE) is None

    [request] = http_fake.requests
    assert request.path == "/services/T1/B2/xyz"
    assert request.headers["Content-Type"] == "application/json"
    text = request.json()["text"]
    assert "&lt;!channel&gt; &amp; Co" in text, "a counterparty's name cannot ping the whole channel"
    assert "<https://vatcrm.example/crm/counterparty/7/|Open in vatcrm>" in text


def test_telegram_sends_to_the_chat_and_returns_the_message_id(http_fake, settings):
    settings.TELEGRAM_API_URL = http_fake.url
    http_fake.respond(200, {"ok": True, "result": {"message_id": 4242}})

    message_id = transport_for(channel(ChannelKind.TELEGRAM, bot_token="123:ABC", chat_id="-100200")).send(MESSAGE)

    assert message_id == "4242"
    [request] = http_fake.requests
    assert request.path == "/bot123:ABC/sendMessage"
    body = request.json()
    assert body["chat_id"] == "-100200" and body["parse_mode"] == "HTML"
    assert "&lt;!channel&gt; &amp; Co" in body["text"]


def test_telegram_errors_are_read_from_its_json_and_never_show_the_token(http_fake, settings):
    settings.TELEGRAM_API_URL = http_fake.url
    http_fake.respond(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    telegram = transport_for(channel(ChannelKind.TELEGRAM, bot_token="123:SECRET-TOKEN", chat_id="1"))

    with pytest.raises(TransportError) as blocked:
        telegram.send(MESSAGE)
    assert blocked.value.permanent and "bot was blocked" in blocked.value.message

    settings.TELEGRAM_API_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens: the URL is in the error
    with pytest.raises(TransportError) as unreachable:
        telegram.send(MESSAGE)
    assert not unreachable.value.permanent
    assert "SECRET-TOKEN" not in unreachable.value.message


def test_webhook_body_is_signed_and_the_signature_verifies(http_fake):
    secret = "a-long-shared-secret-of-the-customer"
    transport_for(channel(ChannelKind.WEBHOOK, url=f"{http_fake.url}/hook", secret=secret)).send(MESSAGE)

    [request] = http_fake.requests
    header = request.headers["X-Vatcrm-Signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert abs(timestamp - time.time()) < 60
    assert header == f"t={timestamp},v1={sign(secret, request.body, timestamp)}"
    assert verify_signature(secret, request.body, header)
    assert not verify_signature("another-secret", request.body, header)
    assert not verify_signature(secret, request.body.replace(b"invalid", b"valid"), header)
    assert not verify_signature(secret, request.body, header, now=timestamp + 3600), "replayed an hour later"
    assert not verify_signature(secret, request.body, "garbage")
    assert request.headers["X-Vatcrm-Delivery"] == MESSAGE.key
    body = json.loads(request.body)
    assert body == {
        "id": MESSAGE.key,
        "type": "alert",
        "title": MESSAGE.title,
        "text": MESSAGE.text,
        "url": MESSAGE.url,
        "severity": "critical",
        "data": {"alert_id": 1},
    }


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(429, False), (500, False), (502, False), (503, False), (400, True), (403, True), (404, True), (410, True)],
)
def test_http_status_decides_transient_or_permanent(http_fake, status, permanent):
    http_fake.respond(status, b"no_service")
    with pytest.raises(TransportError) as error:
        transport_for(channel(ChannelKind.SLACK, url=f"{http_fake.url}/x")).send(MESSAGE)
    assert error.value.permanent is permanent
    assert f"HTTP {status}" in error.value.message


def test_redirects_are_not_followed(http_fake):
    http_fake.respond(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(TransportError) as error:
        transport_for(channel(ChannelKind.WEBHOOK, url=f"{http_fake.url}/x", secret="s" * 20)).send(MESSAGE)
    assert error.value.permanent
    assert len(http_fake.requests) == 1


def test_a_slow_receiver_times_out_as_a_transient_error(http_fake, settings):
    settings.NOTIFICATIONS_HTTP_READ_TIMEOUT = 0.2
    http_fake.delay = 1.0
    with pytest.raises(TransportError) as error:
        transport_for(channel(ChannelKind.SLACK, url=f"{http_fake.url}/x")).send(MESSAGE)
    assert not error.value.permanent and "Timeout" in error.value.message


def test_private_and_odd_urls_are_refused_unless_allowed(settings):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS = False
    for url in ("http://127.0.0.1:8000/x", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/x"):
        with pytest.raises(TransportError) as error:
            refuse_private_address(url)
        assert error.value.permanent, url
    with pytest.raises(TransportError):
        refuse_private_address("file:///etc/passwd")
    refuse_private_address("https://93.184.215.14/hook")  # a public address passes (no connection is made)


def test_chat_deliveries_record_transient_and_permanent_failures(owner, http_fake):
    ok = ChatChannelFactory(workspace=owner.workspace, kind=ChannelKind.SLACK, config={"url": f"{http_fake.url}/ok"})
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace)
    deliveries_for_alerts(alert_ids=[alert.pk])
    http_fake.respond(503, b"busy")

    deliveries_send()
    row = Delivery.objects.get(channel=ok)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.PENDING, 1, "HTTP 503: busy")

    http_fake.respond(404, b"no_service")
    deliveries_send(now=row.next_attempt_at)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 2)
    assert [r.path for r in http_fake.requests] == ["/ok", "/ok"]


def test_a_test_message_goes_out_now_and_says_so(owner, http_fake):
    hook = ChatChannelFactory(workspace=owner.workspace, config={"url": f"{http_fake.url}/h", "secret": "s" * 20})
    channel_send_test(channel=hook)
    [request] = http_fake.requests
    assert request.json()["type"] == "test"
    assert verify_signature("s" * 20, request.body, request.headers["X-Vatcrm-Signature"])
