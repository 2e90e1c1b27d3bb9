"""Outbound HTTP through EGRESS_PROXY_URL: the registry client and the chat transports use the proxy, and the
SSRF guard still holds (user-typed URLs are resolved and checked by us, and the proxy is asked for a tunnel
to the checked address, never told the name). Everything stays on loopback: the proxy reaches nothing else.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from collections.abc import Iterator

import pytest
import requests
import urllib3.util.connection
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from notifications.http import post_pinned
from notifications.models import ChannelKind
from notifications.transports import TransportError, transport_for
from tests.egress_proxy import ForwardProxy
from tests.fixtures.registries import OFFICIAL_WSDL
from tests.notifications.factories import ChatChannelFactory
from tests.notifications.fakes import FakeHTTP
from tests.notifications.test_transports import MESSAGE, rebinding_resolver
from tests.verification.fakes import FakeVies, check_vat_response
from verification import vies
from verification.verdicts import Status


@pytest.fixture
def proxy(settings) -> Iterator[ForwardProxy]:
    with ForwardProxy(credentials=("egress", "proxy-password-123")) as forward:
        settings.EGRESS_PROXY_URL = forward.url
        yield forward


@pytest.fixture
def opened(monkeypatch) -> list[tuple[str, int]]:
    """Every socket our HTTP clients open (urllib3's; the proxy's own sockets are not ours)."""
    addresses: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        addresses.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return addresses


@pytest.fixture
def chat(settings) -> Iterator[FakeHTTP]:
    settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS = True  # the fake is on loopback
    settings.NOTIFICATIONS_HTTP_CONNECT_TIMEOUT = settings.NOTIFICATIONS_HTTP_READ_TIMEOUT = 2.0
    with FakeHTTP() as fake:
        yield fake


def port_of(fake: FakeHTTP) -> int:
    return fake.server.server_address[1]


def test_the_registry_client_loads_the_wsdl_and_calls_vies_through_the_proxy(proxy, settings, opened):
    fake = FakeVies(wsdl=OFFICIAL_WSDL.read_bytes()).start()
    fake.reply(check_vat_response("DE", "136695976", valid=True))
    settings.VIES_WSDL_URL, settings.VIES_SERVICE_URL = fake.wsdl_url, fake.service_url
    vies.clear_client_cache()
    try:
        result = vies.get_client().check_vat("DE", "136695976")
    finally:
        vies.clear_client_cache()
        fake.stop()

    assert result.status == Status.VALID
    assert [(a.method, a.target) for a in proxy.asked] == [("GET", fake.wsdl_url), ("POST", fake.service_url)]
    assert {a.authorization for a in proxy.asked} == {"Basic ZWdyZXNzOnByb3h5LXBhc3N3b3JkLTEyMw=="}
    assert set(opened) == {proxy.address}, "nothing went to the registry directly"
    assert all("proxy-authorization" not in {k.lower() for k in r.headers} for r in fake.requests)


def test_a_webhook_goes_through_a_tunnel_to_the_checked_address(proxy, chat, monkeypatch, opened):
    """The proxy is asked for the address our check resolved, not for the name: a proxy resolving the name
    again would reopen DNS rebinding. The request inside the tunnel still names the host."""
    resolver, asked = rebinding_resolver("erp.customer.example", ["127.0.0.1", "169.254.169.254"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    hook = ChatChannelFactory.build(
        kind=ChannelKind.WEBHOOK, config={"url": f"http://erp.customer.example:{port_of(chat)}/h", "secret": "s" * 20}
    )

    transport_for(hook).send(MESSAGE)

    assert [(a.method, a.target) for a in proxy.asked] == [("CONNECT", f"127.0.0.1:{port_of(chat)}")]
    assert asked == ["127.0.0.1"], "resolved once, by us"
    [request] = chat.requests
    assert request.path == "/h", "the server is asked for the path, not the absolute URL"
    assert request.headers["Host"] == f"erp.customer.example:{port_of(chat)}"
    assert "Proxy-Authorization" not in request.headers, "the proxy's credentials stay with the proxy"
    assert opened == [proxy.address]


def test_slack_and_telegram_go_through_the_proxy(proxy, chat, settings):
    settings.TELEGRAM_API_URL = chat.url
    chat.respond(200, b"ok")
    chat.respond(200, {"ok": True, "result": {"message_id": 7}})
    slack = ChatChannelFactory.build(kind=ChannelKind.SLACK, config={"url": f"{chat.url}/services/T1/B2/x"})
    telegram = ChatChannelFactory.build(kind=ChannelKind.TELEGRAM, config={"bot_token": "1:ABC", "chat_id": "5"})

    transport_for(slack).send(MESSAGE)
    assert transport_for(telegram).send(MESSAGE) == "7"

    # Telegram's API is the operator's URL: it is sent by name, as requests sends plain HTTP to a proxy.
    assert [(a.method, a.target) for a in proxy.asked] == [
        ("CONNECT", f"127.0.0.1:{port_of(chat)}"),
        ("POST", f"{chat.url}/bot1:ABC/sendMessage"),
    ]
    assert [r.path for r in chat.requests] == ["/services/T1/B2/x", "/bot1:ABC/sendMessage"]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:{port}/hook", "http://metadata.rebind.example:{port}/hook", "https://[::1]:{port}/hook"],
)
def test_a_private_target_is_refused_before_the_proxy_is_asked(proxy, chat, settings, monkeypatch, url):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS = False
    resolver, _ = rebinding_resolver("metadata.rebind.example", ["10.0.0.5"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    hook = ChatChannelFactory.build(
        kind=ChannelKind.WEBHOOK, config={"url": url.format(port=port_of(chat)), "secret": "s" * 20}
    )

    with pytest.raises(TransportError) as refused:
        transport_for(hook).send(MESSAGE)

    assert refused.value.permanent and "private address" in refused.value.message
    assert proxy.asked == [] and chat.requests == []


def test_the_proxy_password_never_appears_in_an_error(settings, chat):
    with ForwardProxy(credentials=("egress", "right-password")) as forward:
        settings.EGRESS_PROXY_URL = forward.url.replace("right-password", "wrong-proxy-password")
        hook = ChatChannelFactory.build(kind=ChannelKind.WEBHOOK, config={"url": f"{chat.url}/h", "secret": "s" * 20})
        with pytest.raises(TransportError) as failed:
            transport_for(hook).send(MESSAGE)

    assert not failed.value.permanent, "a proxy refusing us is our problem, retried later"
    assert "wrong-proxy-password" not in failed.value.message
    assert chat.requests == []


def self_signed(name: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return certificate.public_bytes(pem), key_pem


def test_https_through_the_tunnel_keeps_the_name_for_sni_and_the_certificate(proxy, chat, monkeypatch, tmp_path):
    """CONNECT to the checked address; inside, TLS names the host (SNI) and its certificate is verified
    against the name, so pinning the address weakens nothing."""
    name = "hooks.tls.example"
    certificate, key = self_signed(name)
    (tmp_path / "cert.pem").write_bytes(certificate)
    (tmp_path / "key.pem").write_bytes(key)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, server_name, ctx: server_names.append(server_name)
    chat.server.socket = context.wrap_socket(chat.server.socket, server_side=True)
    monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver(name, ["127.0.0.1"])[0])
    url = f"https://{name}:{port_of(chat)}/services/T1/B2/x"

    response = post_pinned(url, data=b"{}", verify=str(tmp_path / "cert.pem"), timeout=(2, 2))

    assert response.status_code == 200
    assert [(a.method, a.target) for a in proxy.asked] == [("CONNECT", f"127.0.0.1:{port_of(chat)}")]
    assert server_names == [name]
    assert chat.requests[0].headers["Host"] == f"{name}:{port_of(chat)}"
    monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver("other.example", ["127.0.0.1"])[0])
    with pytest.raises(requests.exceptions.SSLError):  # the same server and certificate, asked for another name
        post_pinned(f"https://other.example:{port_of(chat)}/x", verify=str(tmp_path / "cert.pem"), timeout=(2, 2))


def test_every_target_the_proxy_was_asked_for_is_on_loopback(proxy, chat):
    """The guard of the other tests' guard: the fake proxy itself refuses anything but loopback."""
    hook = ChatChannelFactory.build(kind=ChannelKind.WEBHOOK, config={"url": f"{chat.url}/h", "secret": "s" * 20})
    transport_for(hook).send(MESSAGE)
    hosts = [a.target.rpartition(":")[0] for a in proxy.asked]
    assert hosts and all(ipaddress.ip_address(host.strip("[]")).is_loopback for host in hosts)
