"""What the HTTP registry clients (HMRC, Brønnøysund, the UID register's SOAP) share.

- One requests Session per process and proxy, with a connection pool shared by threads and rebuilt in a
  forked child (a Celery prefork worker must not share its parent's sockets).
- The egress proxy (setting EGRESS_PROXY_URL) for every call, by name: the registries' addresses are the
  operator's, not a user's, so there is nothing to pin (unlike notifications/http.py).
- The fault taxonomy of the transport, the same for every registry: a timeout, a refused connection, a
  429 or a 5xx is an outage (``unverified``), never a verdict on the number.
- Evidence: the bytes sent and received, decoded and capped, as VIES's are.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

from verification.verdicts import ServiceResult, Status
from verification.vies_faults import Failure

__all__ = [
    "EVIDENCE_LIMIT",
    "Timeouts",
    "elapsed_ms",
    "evidence_text",
    "failed_result",
    "malformed",
    "proxy_url",
    "session_for",
    "status_failure",
    "transport_failure",
]

EVIDENCE_LIMIT = 64 * 1024  # an HTML error page can be large; a real answer is a few KiB


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts of every call (settings REGISTRY_CONNECT_TIMEOUT / REGISTRY_READ_TIMEOUT)."""

    connect: float = 5.0
    read: float = 20.0

    @classmethod
    def from_settings(cls) -> Timeouts:
        from django.conf import settings

        return cls(
            connect=float(getattr(settings, "REGISTRY_CONNECT_TIMEOUT", 5.0)),
            read=float(getattr(settings, "REGISTRY_READ_TIMEOUT", 20.0)),
        )

    @property
    def pair(self) -> tuple[float, float]:
        return (self.connect, self.read)


_lock = threading.Lock()
_sessions: dict[str, requests.Session] = {}


def session_for(proxy_url: str = "") -> requests.Session:
    """The process's shared Session for registry calls through ``proxy_url`` ("" = direct)."""
    with _lock:
        session = _sessions.get(proxy_url)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=20)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.trust_env = False  # a registry call goes where the settings say, not where $HTTP_PROXY does
            if proxy_url:
                session.proxies = {"http": proxy_url, "https": proxy_url}
            _sessions[proxy_url] = session
        return session


def _forget_after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    _sessions.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def transport_failure(exc: BaseException, label: str) -> Failure | None:
    """A requests exception as an outage; None for anything that is not about the registry (our bug)."""
    if isinstance(exc, requests.Timeout):
        return Failure(
            Status.UNVERIFIED, "TIMEOUT", f"{label} did not answer within our time limit; the check will be retried."
        )
    if isinstance(exc, requests.ConnectionError):
        return Failure(
            Status.UNVERIFIED, "CONNECTION_ERROR", f"Could not connect to {label}; the check will be retried."
        )
    if isinstance(exc, requests.RequestException):
        return Failure(Status.UNVERIFIED, "HTTP_ERROR", f"The request to {label} failed ({type(exc).__name__}).")
    return None


def proxy_url() -> str:
    """The egress proxy from settings ("" = direct)."""
    from django.conf import settings

    return getattr(settings, "EGRESS_PROXY_URL", "") or ""


def malformed(label: str, expected: str) -> Failure:
    """A body that is not the documented answer: an outage, never a verdict."""
    return Failure(
        Status.UNVERIFIED,
        "MALFORMED_RESPONSE",
        f"{label} answered with something that is not the expected {expected}; the check will be retried.",
    )


def status_failure(status: int, label: str) -> Failure:
    """An HTTP status that is not an answer about the number: rate limiting, a server error, anything odd."""
    if status == 429:
        return Failure(
            Status.UNVERIFIED,
            "RATE_LIMITED",
            f"{label} asked us to slow down (HTTP 429); the check will be retried.",
        )
    if status >= 500:
        return Failure(
            Status.UNVERIFIED,
            f"HTTP_{status}",
            f"{label} is unavailable (HTTP {status}); the check will be retried.",
        )
    return Failure(
        Status.UNVERIFIED,
        f"HTTP_{status}",
        f"{label} answered HTTP {status}, which says nothing about the number; the check will be retried.",
    )


def failed_result(
    service: str, failure: Failure, *, request: str = "", response: bytes = b"", latency_ms: int | None = None
) -> ServiceResult:
    return ServiceResult(
        service=service,
        status=failure.status,
        error_code=failure.code,
        message=failure.message,
        latency_ms=latency_ms,
        raw_request=request,
        raw_response=evidence_text(response),
    )


def evidence_text(raw: bytes) -> str:
    """Bytes on the wire as text for the evidence columns, capped at EVIDENCE_LIMIT."""
    text = raw[:EVIDENCE_LIMIT].decode("utf-8", errors="replace")
    return text + "\n<!-- truncated -->" if len(raw) > EVIDENCE_LIMIT else text


def elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
