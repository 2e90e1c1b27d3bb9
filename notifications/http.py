"""HTTP to user-typed URLs (Slack, webhooks) without letting them reach the workers' private network (SSRF).

Checking an address and then letting `requests` resolve the name again is not enough: a name under an
attacker's control can answer a public address to the check and 127.0.0.1 a moment later, to the
connection (DNS rebinding). So the name is resolved once, every address it resolves to is checked, and
the connection goes to the first checked address. The request still names the host: the `Host` header,
TLS SNI and the certificate check all use the name from the URL, so HTTPS verification is unchanged.

Through the egress proxy (EGRESS_PROXY_URL) the same holds: the proxy is asked to open a tunnel to the
checked address (`CONNECT 203.0.113.7:443`), never to the name, which it would resolve again itself, and
the request inside the tunnel is the one that would have gone direct (docs/notifications.md, "Egress proxy").
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3 import HTTPConnectionPool
from urllib3.connection import HTTPConnection
from urllib3.util import parse_url

from .errors import TransportError


def checked_addresses(url: str) -> list[str]:
    """The addresses `url`'s host resolves to, all of them global, else TransportError.

    Checked on every send, not only when the channel is saved, because DNS can change in between. A name
    that does not resolve now is a transient failure: DNS outages happen. NOTIFICATIONS_ALLOW_PRIVATE_URLS
    (development, tests) lifts the check, not the resolving once.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TransportError(f"Not an http(s) URL: {parts.scheme}://…", permanent=True)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise TransportError(f"Cannot resolve {parts.hostname}: {exc}") from exc
    # The scope id of a link-local IPv6 address ("fe80::1%eth0") is not part of what is checked.
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise TransportError(f"Cannot resolve {parts.hostname}: no address")
    if not settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS:
        for address in addresses:
            if not ipaddress.ip_address(address).is_global:
                raise TransportError(f"{parts.hostname} is a private address ({address}); refused", permanent=True)
    return addresses


class PinnedAdapter(HTTPAdapter):
    """Connects to `address` whatever the URL's host resolves to by then; TLS still checks the host name.

    urllib3 takes the pool's host from `build_connection_pool_key_attributes`: the address goes there,
    and `server_hostname` (SNI) and `assert_hostname` (certificate) keep the name. Both are part of
    urllib3's pool key, so a pool is never shared between two names on the same address.
    """

    def __init__(self, *, hostname: str, address: str) -> None:
        super().__init__(max_retries=0)  # one attempt: retries are the outbox's job
        self.hostname, self.address = hostname, address
        self.tunnels: list[TunnelPool] = []

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params.get("host") != self.hostname:  # a URL we did not check: refuse rather than pin it
            raise requests.exceptions.InvalidURL(f"Pinned to {self.hostname}, asked for {host_params.get('host')}")
        host_params["host"] = self.address
        if host_params.get("scheme") == "https":
            pool_kwargs["server_hostname"] = self.hostname
            pool_kwargs["assert_hostname"] = self.hostname
        return host_params, pool_kwargs

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any, proxies: dict[str, str] | None = None, cert: Any = None
    ) -> HTTPConnectionPool:
        # Through a proxy, urllib3 tunnels HTTPS to the pool's host (the address, above) but forwards plain
        # HTTP by name ("POST http://host/..."), which the proxy would resolve again: tunnel that too.
        proxy = select_proxy(request.url, proxies)
        if not proxy or urlsplit(request.url).scheme != "http":
            return super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
        host_params, _ = self.build_connection_pool_key_attributes(request, verify, cert)
        tunnel = TunnelPool(
            host_params["host"], host_params["port"] or 80, proxy=proxy, proxy_headers=self.proxy_headers(proxy)
        )
        self.tunnels.append(tunnel)
        return tunnel

    def request_url(self, request: requests.PreparedRequest, proxies: dict[str, str] | None) -> str:
        # Inside a tunnel the server is asked for the path, as without a proxy, never for the absolute URL.
        return super().request_url(request, None)

    def close(self) -> None:
        super().close()
        for tunnel in self.tunnels:
            tunnel.close()


class TunnelPool(HTTPConnectionPool):
    """Plain HTTP to `host` (a checked address) inside a CONNECT tunnel through an http:// proxy.

    urllib3 opens CONNECT tunnels for HTTPS only (HTTPSConnectionPool); for HTTP its HTTPConnection can
    do it as well, once `set_tunnel` is called before it connects. The proxy's credentials go in the
    CONNECT request, so the server at the other end never sees them.
    """

    def __init__(self, host: str, port: int, *, proxy: str, proxy_headers: dict[str, str]) -> None:
        super().__init__(host, port, maxsize=1)
        self.via, self.tunnel_headers = parse_url(proxy), proxy_headers
        if self.via.scheme != "http":
            raise requests.exceptions.InvalidProxyURL("A plain-HTTP URL is tunnelled through an http:// proxy only")

    def _new_conn(self) -> HTTPConnection:
        self.num_connections += 1
        connection = HTTPConnection(
            host=self.via.host, port=self.via.port or 80, timeout=self.timeout.connect_timeout, **self.conn_kw
        )
        connection.set_tunnel(self.host, self.port, headers=self.tunnel_headers)
        return connection


def host_header(url: str) -> str:
    """What the Host header would have been without pinning (http.client would otherwise send the address)."""
    parts = urlsplit(url)
    hostname = parts.hostname or ""
    name = f"[{hostname}]" if ":" in hostname else hostname
    default_port = 443 if parts.scheme == "https" else 80
    return name if parts.port in (None, default_port) else f"{name}:{parts.port}"


def normalized(url: str) -> str:
    """The URL as requests will send it (an international name in punycode), so that the name checked,
    the name pinned and the name requests asks for are one and the same."""
    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(url, None)
    except requests.RequestException as exc:
        raise TransportError(f"Not a usable URL: {type(exc).__name__}", permanent=True) from exc
    return prepared.url or url


def egress_proxies() -> dict[str, str]:
    """requests' `proxies` for EGRESS_PROXY_URL: every scheme goes through it (none without it)."""
    proxy = settings.EGRESS_PROXY_URL
    return {"http": proxy, "https": proxy} if proxy else {}


def post_pinned(url: str, **kwargs: Any) -> requests.Response:
    """`requests.post(url, **kwargs)` to the address checked by `checked_addresses`, never to another,
    through the egress proxy when there is one."""
    url = normalized(url)
    address = checked_addresses(url)[0]
    hostname = urlsplit(url).hostname or ""
    with requests.Session() as session:
        # No proxies or .netrc from the environment: a proxy told the name would resolve it again itself.
        session.trust_env = False
        session.proxies = egress_proxies()
        session.mount("http://", PinnedAdapter(hostname=hostname, address=address))
        session.mount("https://", PinnedAdapter(hostname=hostname, address=address))
        headers = {**kwargs.pop("headers", {}), "Host": host_header(url)}
        return session.post(url, headers=headers, **kwargs)


def post_trusted(url: str, **kwargs: Any) -> requests.Response:
    """`requests.post(url, **kwargs)` for a URL of the operator's (Telegram's API): not pinned, and through
    the egress proxy when there is one (else through the environment's, as requests does by default)."""
    with requests.Session() as session:
        if settings.EGRESS_PROXY_URL:
            session.trust_env = False
            session.proxies = egress_proxies()
        return session.post(url, **kwargs)
