"""How every way a VIES call can fail maps to a status and an error code.

Why a table of its own: this mapping is the product's most important promise (an outage is never
recorded as ``invalid``), it is documented in docs/verification.md, and it is easier to review as data
than spread through the client. The fault strings are those of the official WSDL's documentation plus the
ones VIES returns in practice (``*_TIME`` variants, ``IP_BLOCKED``, ``VAT_BLOCKED``,
``INVALID_REQUESTER_INFO``).
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from lxml import etree
from urllib3.exceptions import ReadTimeoutError
from zeep import exceptions as zeep_exceptions

from verification.verdicts import Status

__all__ = [
    "CONCURRENCY_FAULTS",
    "GLOBAL_CONCURRENCY_FAULTS",
    "INVALID_REQUESTER_INFO",
    "MALFORMED",
    "Failure",
    "classify_exception",
    "classify_fault",
]


@dataclass(frozen=True)
class Failure:
    """A classified failure: the status it gives, a stable code and a message for the user."""

    status: Status
    code: str
    message: str


INVALID_REQUESTER_INFO = "INVALID_REQUESTER_INFO"
_ZEEP_NO_FAULT_ELEMENT = "Unknown fault occured"  # zeep's message (sic) for a non-200 XML reply without Fault

MALFORMED = Failure(
    Status.UNVERIFIED,
    "MALFORMED_RESPONSE",
    "VIES answered with something that is not the expected SOAP response; the check will be retried.",
)

# Faults about the registry's availability or load: the number was not judged, so the check is
# `unverified` and retried later.
_RETRYABLE: dict[str, str] = {
    "MS_UNAVAILABLE": "The member state's registry is not replying; the check will be retried.",
    "SERVICE_UNAVAILABLE": "VIES is unavailable (network or application error); the check will be retried.",
    "TIMEOUT": "VIES got no reply from the member state in time; the check will be retried.",
    "GLOBAL_MAX_CONCURRENT_REQ": "VIES is at its global limit of concurrent requests; the check will be retried.",
    "GLOBAL_MAX_CONCURRENT_REQ_TIME": (
        "VIES is at its global limit of concurrent requests; the check will be retried."
    ),
    "MS_MAX_CONCURRENT_REQ": (
        "VIES is at its limit of concurrent requests for this member state; the check will be retried."
    ),
    "MS_MAX_CONCURRENT_REQ_TIME": (
        "VIES is at its limit of concurrent requests for this member state; the check will be retried."
    ),
    # Blocks are about *us* (our address or our requester number used too much), not about the number
    # checked: they are `unverified` too, and need an operator rather than a retry.
    "IP_BLOCKED": "VIES has blocked requests from this server's address; an operator must look into it.",
    "VAT_BLOCKED": (
        "VIES refused to answer for this requester (VAT_BLOCKED); this says nothing about the number checked."
    ),
}

# Faults that are a verdict on the input itself.
_INVALID: dict[str, str] = {
    "INVALID_INPUT": "VIES rejected the number as invalid input (unknown country code or empty number).",
}

CONCURRENCY_FAULTS = frozenset({"MS_MAX_CONCURRENT_REQ", "MS_MAX_CONCURRENT_REQ_TIME"})
"""Faults after which this member state should cool down for every worker (see ratelimit.py)."""
GLOBAL_CONCURRENCY_FAULTS = frozenset({"GLOBAL_MAX_CONCURRENT_REQ", "GLOBAL_MAX_CONCURRENT_REQ_TIME"})
"""Faults after which the whole service should cool down for every worker."""


def classify_fault(fault_string: str | None) -> Failure:
    """Map a SOAP faultstring to a :class:`Failure`.

    Unknown faults are ``unverified``: we only call a number invalid when VIES says so in words we know.
    """
    code = (fault_string or "").strip().upper()
    if code in _INVALID:
        return Failure(Status.INVALID, code, _INVALID[code])
    if code in _RETRYABLE:
        return Failure(Status.UNVERIFIED, code, _RETRYABLE[code])
    if code == INVALID_REQUESTER_INFO:  # normally handled by the client's fallback; never a verdict
        return Failure(Status.UNVERIFIED, code, "VIES rejected the requester's VAT number.")
    shown = (fault_string or "").strip()[:200] or "no fault string"
    return Failure(
        Status.UNVERIFIED, "SOAP_FAULT", f"VIES returned an unknown fault ({shown}); the check will be retried."
    )


def classify_exception(exc: BaseException, http_status: int | None = None) -> Failure | None:
    """Map an exception raised by a zeep/requests call to a :class:`Failure`.

    Returns None for exceptions that are not about the registry (bugs on our side): the caller lets
    those propagate so they become ``error`` and get logged.
    """
    if isinstance(exc, zeep_exceptions.Fault):
        if exc.code is None and exc.message == _ZEEP_NO_FAULT_ELEMENT:
            return _http_failure(http_status, "an XML body that is not a SOAP response") or MALFORMED
        return classify_fault(exc.message)
    if isinstance(exc, requests.Timeout) or _is_read_timeout(exc):
        return Failure(
            Status.UNVERIFIED, "TIMEOUT", "VIES did not answer within our time limit; the check will be retried."
        )
    if isinstance(exc, requests.ConnectionError):
        return Failure(Status.UNVERIFIED, "CONNECTION_ERROR", "Could not connect to VIES; the check will be retried.")
    if isinstance(exc, zeep_exceptions.TransportError):
        return _http_failure(exc.status_code or http_status, "a body that is not XML") or MALFORMED
    if isinstance(exc, requests.RequestException):
        return Failure(Status.UNVERIFIED, "HTTP_ERROR", f"The request to VIES failed ({type(exc).__name__}).")
    if isinstance(exc, zeep_exceptions.Error | etree.LxmlError | ValueError):
        # zeep's XMLSyntaxError/XMLParseError/ValidationError, lxml errors, unparsable dates and the like.
        return _http_failure(http_status, "an unreadable body") or MALFORMED
    return None


def _http_failure(status: int | None, what: str) -> Failure | None:
    """An error status without a SOAP fault (a proxy's or load balancer's page) is reported by status."""
    if not status or status < 300:
        return None
    return Failure(
        Status.UNVERIFIED,
        f"HTTP_{status}",
        f"VIES answered HTTP {status} with {what}; the check will be retried.",
    )


def _is_read_timeout(exc: BaseException) -> bool:
    """requests sometimes wraps a urllib3 read timeout in ConnectionError; look through the chain."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, ReadTimeoutError):
            return True
        args = getattr(seen, "args", ())
        inner = args[0] if args and isinstance(args[0], BaseException) else None
        seen = inner or seen.__cause__ or seen.__context__
    return False
