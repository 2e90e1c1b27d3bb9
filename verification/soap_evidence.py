"""The raw bytes of a SOAP exchange, captured while zeep runs the call: the evidence a check keeps.

zeep clients are shared between threads (the WSDL is parsed once per process), so the current call's
exchange travels in a ContextVar that the transport fills in.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

import requests
from zeep import Transport

__all__ = ["EXCHANGE", "EvidenceTransport", "Exchange"]


@dataclass
class Exchange:
    """The bytes of one SOAP exchange, filled in by the transport while zeep runs the call."""

    request: bytes = b""
    status: int | None = None
    response: bytes = b""


EXCHANGE: ContextVar[Exchange | None] = ContextVar("soap_exchange", default=None)


class EvidenceTransport(Transport):
    """A zeep Transport that copies the raw request and response of each POST into the exchange."""

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> requests.Response:
        exchange = EXCHANGE.get()
        if exchange is not None:
            exchange.request = message if isinstance(message, bytes) else message.encode("utf-8")
        response = super().post(address, message, headers)
        if exchange is not None:
            exchange.status = response.status_code
            exchange.response = response.content
        return response
