"""Who may read /metrics: a bearer token (METRICS_TOKEN) or a peer in METRICS_ALLOWED_NETWORKS.

The network rule looks at REMOTE_ADDR, the address that opened the connection, never at X-Forwarded-For,
which any client can write. Behind a reverse proxy every request comes from the proxy's address: do not
list the proxy's network, or the internet can read the metrics through it (docs/operations.md).
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest


def metrics_enabled() -> bool:
    return bool(settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS)


def metrics_allowed(request: HttpRequest) -> bool:
    return _has_token(request) or _from_allowed_network(request)


def _has_token(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Compared in constant time: how long a wrong guess takes must not tell how much of it was right.
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


def _from_allowed_network(request: HttpRequest) -> bool:
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped:
        peer = peer.ipv4_mapped  # gunicorn bound to [::] sees IPv4 peers as ::ffff:a.b.c.d
    return any(peer in network for network in settings.METRICS_ALLOWED_NETWORKS)
