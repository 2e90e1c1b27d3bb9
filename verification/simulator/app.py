"""WSGI application of the registry simulator (stdlib + lxml only, so it runs without Django).

Routes (a leading ``/taxation_customs`` is accepted too, as on ec.europa.eu):

- ``GET  /vies/checkVatService.wsdl``          the project's own WSDL, soap:address = this server
- ``POST /vies/services/checkVatService``      SOAP 1.1 checkVat / checkVatApprox
- ``GET  /vies/checkVatTestService.wsdl``      same WSDL, service checkVatTestService
- ``POST /vies/services/checkVatTestService``  answers only the test-service numbers (100, 200, 201, ...),
                                               SERVICE_UNAVAILABLE for any other, like the real one
- ``/_sim/...``                                JSON control API (control.py), unless disabled
- ``/hmrc/...``, ``/uid/V5.0/PublicServices.svc``, ``/brreg/enhetsregisteret/api/enheter/...``: HMRC,
  the Swiss UID register and Brønnøysund in their own wire formats (national.py)

Requests that are not a SOAP call get what a JAX-WS endpoint gives, so the client meets realistic errors:

- ``GET`` on a service URL with ``?wsdl`` returns the WSDL; any other method than POST: 405, plain text;
- a Content-Type other than ``text/xml`` (``application/soap+xml`` = SOAP 1.2 included): 415, plain text;
- a body that is not XML, not a SOAP 1.1 envelope or not one of the two operations: HTTP 500 with an
  ``env:Client`` SOAP fault (``env:VersionMismatch`` for a SOAP 1.2 envelope). Business faults (input,
  requester, outages) are ``env:Server`` with HTTP 500, as in the captured samples;
- bodies over 1 MiB: 413; unknown paths: 404.

Each SOAP request is counted in Stats, may be refused by the concurrency caps, waits the configured
latency, then gets the Responder's reply. One log line per request goes to the "verification.simulator"
logger (INFO); the management command prints it.
"""

from __future__ import annotations

import copy
import functools
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from lxml import etree

from . import control, national
from .faults import FaultInjector
from .registry import MEMBER_STATES, Registry
from .responder import Reply, Responder, fault_reply
from .soap import CONTENT_TYPE, ConsultationNumbers, SoapClientError, fault_envelope, parse_request
from .stats import Stats

logger = logging.getLogger("verification.simulator")

WSDL_FILE = Path(__file__).resolve().parent / "checkVatService.wsdl"
WSDL_PATH = "/vies/checkVatService.wsdl"
SERVICE_PATH = "/vies/services/checkVatService"
TEST_WSDL_PATH = "/vies/checkVatTestService.wsdl"
TEST_SERVICE_PATH = "/vies/services/checkVatTestService"
CONTROL_PREFIX = "/_sim"
MAX_BODY = 1024 * 1024
_WSDL = "http://schemas.xmlsoap.org/wsdl/"
_WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"

Headers = list[tuple[str, str]]
StartResponse = Callable[[str, Headers], Any]


@functools.cache
def _wsdl_template() -> etree._ElementTree:
    return etree.parse(str(WSDL_FILE))


def render_wsdl(service_url: str, service_name: str = "checkVatService") -> bytes:
    """The WSDL with its soap:address pointing at `service_url`."""
    tree = copy.deepcopy(_wsdl_template())
    service = tree.find(f"{{{_WSDL}}}service")
    service.set("name", service_name)
    service.find(f"{{{_WSDL}}}port/{{{_WSDL_SOAP}}}address").set("location", service_url)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _base_url(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


class SimulatorApp:
    """The simulator as a WSGI callable; owns the registry, fault injector and stats it serves from."""

    def __init__(
        self,
        registry: Registry | None = None,
        faults: FaultInjector | None = None,
        *,
        stats: Stats | None = None,
        control: bool = True,
        consultation_seed: int | None = 0,
    ) -> None:
        self.registry = registry if registry is not None else Registry.default()
        self.faults = faults if faults is not None else FaultInjector()
        self.stats = stats if stats is not None else Stats()
        self.control_enabled = control
        self.responder = Responder(self.registry, self.faults, ConsultationNumbers(consultation_seed))
        self.national = national.NationalRegistries(self)

    def reset(self) -> None:
        """Registry back to its fixture, faults to their start configuration, counters to zero."""
        self.registry.reset()
        self.faults.reset()
        self.stats.reset()
        self.national.reset()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.monotonic()
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO") or "/"
        if path.startswith("/taxation_customs/"):
            path = path[len("/taxation_customs") :]
        note = ""
        try:
            status, content_type, body, note = self._route(environ, method, path)
        except control.BodyTooLarge:
            status, content_type, body, note = self._plain(413, "Request entity too large", "rejected")
        except Exception:  # the simulator must answer, never drop the connection on its own bug
            logger.exception("simulator error on %s %s", method, path)
            status, content_type, body = 500, "text/plain; charset=utf-8", b"simulator internal error\n"
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        logger.info("%s %s %s %s (%.0f ms)", method, path, status, note, (time.monotonic() - started) * 1000)
        return [body]

    def _route(self, environ: dict[str, Any], method: str, path: str) -> tuple[int, str, bytes, str]:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        base = _base_url(environ)
        if path in (WSDL_PATH, TEST_WSDL_PATH) or (
            path in (SERVICE_PATH, TEST_SERVICE_PATH) and "wsdl" in {key.lower() for key in query}
        ):
            if method not in ("GET", "HEAD"):
                return self._plain(405, "Method not allowed", "rejected")
            test = path in (TEST_WSDL_PATH, TEST_SERVICE_PATH)
            url = base + (TEST_SERVICE_PATH if test else SERVICE_PATH)
            self.stats.record_other("wsdl")
            body = render_wsdl(url, "checkVatTestService" if test else "checkVatService")
            return 200, "text/xml;charset=UTF-8", body, "wsdl"
        if path in (SERVICE_PATH, TEST_SERVICE_PATH):
            return self._soap(environ, method, test_service=path == TEST_SERVICE_PATH)
        if national.handles(path) and (self.control_enabled or not path.startswith(CONTROL_PREFIX)):
            return self.national.route(environ, method, path, self._read_body(environ))
        if self.control_enabled and (path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")):
            self.stats.record_other("control")
            body = self._read_body(environ)
            status, payload = control.handle(self, method, path[len(CONTROL_PREFIX) :], query, body)
            return status, "application/json", control.dump(payload), "control"
        return self._plain(404, "Not found", "not found")

    def _plain(self, status: int, text: str, note: str) -> tuple[int, str, bytes, str]:
        if note == "rejected":
            self.stats.record_other("rejected")
        return status, "text/plain; charset=utf-8", (text + "\n").encode(), note

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            raise control.BodyTooLarge
        return environ["wsgi.input"].read(length) if length > 0 else b""

    def _soap(self, environ: dict[str, Any], method: str, *, test_service: bool) -> tuple[int, str, bytes, str]:
        if method != "POST":
            return self._plain(405, "Method not allowed: this SOAP endpoint accepts POST only", "rejected")
        mime = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if mime != "text/xml":
            return self._plain(415, f"Unsupported Content-Type {mime or '(none)'}: expected text/xml", "rejected")
        body = self._read_body(environ)
        try:
            request = parse_request(body)
        except SoapClientError as exc:
            self.stats.record_other("rejected")
            return 500, CONTENT_TYPE, fault_envelope(exc.faultstring, exc.faultcode), "client fault"
        country = request.country_code if request.country_code in MEMBER_STATES else "??"
        in_flight, in_flight_here = self.stats.enter(country)
        try:
            delay = self.faults.latency_seconds()
            if delay > 0:
                time.sleep(delay)
            refused = self.faults.concurrency_fault(in_flight, in_flight_here, country)
            reply: Reply = (
                fault_reply(refused) if refused else self.responder.answer(request, test_service=test_service)
            )
            if reply.hang:
                self.faults.hang()
        finally:
            self.stats.leave(country)
        self.stats.record(request.operation, reply.outcome, country)
        note = f"{request.operation} {request.country_code}{request.vat_number} {reply.outcome}"
        return reply.status, reply.content_type, reply.body, note
