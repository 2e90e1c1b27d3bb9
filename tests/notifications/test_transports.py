"""Slack, Telegram and webhook transports against a local HTTP fake; the outbox's reading of their errors."""

from __future__ import annotations

import json
import socket
import time

import pytest
import requests
import urllib3.util.connection

from crm.models import Severity
from notifications.http import PinnedAdapter
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


REAL_GETADDRINFO = socket.getaddrinfo


def rebinding_resolver(name: str, answers: list[str]):
    """A DNS server under an attacker's control: `name` answers each address of `answers` in turn (the
    last one from then on); every other name, and numeric addresses, resolve as usual."""
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != name:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        address = answers[min(len(asked), len(answers) - 1)]
        asked.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    return getaddrinfo, asked


@pytest.fixture
def connections(monkeypatch) -> list[tuple[str, int]]:
    """Where urllib3 opens its sockets. Loopback goes through (the fakes live there); anything else is
    refused at once, since the tests have no network."""
    opened: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        opened.append(address)
        if not str(address[0]).startswith("127."):
            raise ConnectionRefusedError(f"no network in tests: {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return opened


def test_dns_rebinding_cannot_move_the_connection_to_loopback(http_fake, settings, monkeypatch, connections):
    """The name answers a public address to the check and 127.0.0.1 to anyone asking after: the request
    goes to the checked public address (refused here: no network), never to the fake on loopback."""
    settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS = False
    port = http_fake.server.server_address[1]
    resolver, asked = rebinding_resolver("hooks.rebind.example", ["93.184.215.14", "127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    hook = channel(ChannelKind.WEBHOOK, url=f"http://hooks.rebind.example:{port}/hook", secret="s" * 20)

    with pytest.raises(TransportError) as error:
        transport_for(hook).send(MESSAGE)

    assert not error.value.permanent  # a connection error: retried later, and checked again then
    assert http_fake.requests == [], "the request reached loopback"
    assert connections == [("93.184.215.14", port)]
    assert asked == ["93.184.215.14"], "the name is resolved once, for the check"


def test_the_request_still_names_the_host_it_was_sent_to(http_fake, monkeypatch, connections):
    """Pinned to the address, the request keeps the URL's host in its Host header (and in TLS: SNI and the
    certificate check go by `server_hostname` / `assert_hostname`)."""
    port = http_fake.server.server_address[1]
    resolver, _ = rebinding_resolver("erp.customer.example", ["127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    transport_for(channel(ChannelKind.WEBHOOK, url=f"http://erp.customer.example:{port}/h", secret="s" * 20)).send(
        MESSAGE
    )

    [request] = http_fake.requests
    assert request.headers["Host"] == f"erp.customer.example:{port}"
    assert connections == [("127.0.0.1", port)]


def test_https_keeps_the_host_name_for_sni_and_the_certificate(settings):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS = False
    adapter = PinnedAdapter(hostname="hooks.slack.com", address="93.184.215.14")
    request = requests.Request("POST", "https://hooks.slack.com/services/x").prepare()

    host, pool = adapter.build_connection_pool_key_attributes(request, True)

    assert host == {"scheme": "https", "host": "93.184.215.14", "port": None}
    assert pool["server_hostname"] == pool["assert_hostname"] == "hooks.slack.com"
    assert pool["cert_reqs"] == "CERT_REQUIRED"
    other = requests.Request("POST", "https://elsewhere.example/x").prepare()
    with pytest.raises(requests.exceptions.InvalidURL):
        adapter.build_connection_pool_key_attributes(other, True)


def test_any_private_address_among_the_answers_refuses_the_url(settings, monkeypatch):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS = False
    answers = [("93.184.215.14", 443), ("10.0.0.5", 443)]
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", answer) for answer in answers],
    )
    with pytest.raises(TransportError) as error:
        refuse_private_address("https://mixed.example/hook")
    assert error.value.permanent and "10.0.0.5" in error.value.message


def test_a_slack_url_never_appears_in_an_error_even_as_a_path(settings):
    settings.NOTIFICATIONS_HTTP_CONNECT_TIMEOUT = 0.5
    url = f"http://127.0.0.1:{free_port()}/services/T1/B2/very-secret-slack-path"  # nothing listens
    with pytest.raises(TransportError) as error:
        transport_for(channel(ChannelKind.SLACK, url=url)).send(MESSAGE)
    assert "very-secret-slack-path" not in error.value.message


def test_an_international_host_name_is_checked_and_pinned_in_punycode(http_fake, monkeypatch, connections):
    port = http_fake.server.server_address[1]
    resolver, asked = rebinding_resolver("xn--bcher-kva.example", ["127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    transport_for(channel(ChannelKind.WEBHOOK, url=f"http://bücher.example:{port}/h", secret="s" * 20)).send(MESSAGE)

    assert asked == ["127.0.0.1"]
    [request] = http_fake.requests
    assert request.headers["Host"] == f"xn--bcher-kva.example:{port}"
