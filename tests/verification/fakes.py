"""A loopback HTTP server that plays VIES for the client tests.

Why not the registry simulator: these tests pin the client to the *official* contract and the captured
wire samples byte for byte (scripted replies, delays, HTML error pages), independently of our simulator.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    body: bytes
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"
    delay: float = 0.0


@dataclass
class Recorded:
    method: str
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class FakeVies:
    """Serves ``wsdl`` on GET /wsdl and scripted replies on POST /service, recording every request."""

    wsdl: bytes = b""
    default: Reply = field(default_factory=lambda: Reply(b"", status=500))
    queue: deque[Reply] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def wsdl_url(self) -> str:
        return f"{self.base_url}/wsdl"

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/service"

    @property
    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    @property
    def wsdl_gets(self) -> int:
        return sum(1 for r in self.requests if r.method == "GET" and r.path == "/wsdl")

    def reply(self, body: bytes | str, **kwargs: object) -> None:
        """Answer every POST with this from now on."""
        self.default = Reply(body.encode() if isinstance(body, str) else body, **kwargs)  # type: ignore[arg-type]

    def reply_once(self, body: bytes | str, **kwargs: object) -> None:
        """Answer the next POST with this, then fall back to the default."""
        self.queue.append(Reply(body.encode() if isinstance(body, str) else body, **kwargs))  # type: ignore[arg-type]

    def _next_reply(self) -> Reply:
        with self._lock:
            return self.queue.popleft() if self.queue else self.default

    def start(self) -> FakeVies:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _record(self, body: bytes) -> None:
                with fake._lock:
                    fake.requests.append(Recorded(self.command, self.path, body, dict(self.headers.items())))

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up (timeout test): nothing to answer
                    pass

            def do_GET(self) -> None:
                self._record(b"")
                if self.path == "/wsdl":
                    self._send(Reply(fake.wsdl))
                else:
                    self._send(Reply(b"not found", status=404, content_type="text/plain"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._record(self.rfile.read(length))
                self._send(fake._next_reply())

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-vies", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/service"


def envelope(payload: str) -> str:
    """A current-format (post 2022-08) VIES response envelope around ``payload``."""
    return (
        '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header/><env:Body>'
        f"{payload}</env:Body></env:Envelope>"
    )


def fault(fault_string: str) -> str:
    return envelope(
        f"<env:Fault><faultcode>env:Server</faultcode><faultstring>{fault_string}</faultstring></env:Fault>"
    )


def check_vat_response(country: str, number: str, valid: bool, name: str = "---", address: str = "---") -> str:
    return envelope(
        '<ns2:checkVatResponse xmlns:ns2="urn:ec.europa.eu:taxud:vies:services:checkVat:types">'
        f"<ns2:countryCode>{country}</ns2:countryCode><ns2:vatNumber>{number}</ns2:vatNumber>"
        f"<ns2:requestDate>2026-01-15+01:00</ns2:requestDate><ns2:valid>{str(valid).lower()}</ns2:valid>"
        f"<ns2:name>{name}</ns2:name><ns2:address>{address}</ns2:address></ns2:checkVatResponse>"
    )


def approx_response(
    country: str,
    number: str,
    valid: bool,
    *,
    name: str = "---",
    address: str = "---",
    name_match: str = "",
    request_identifier: str = "WAPIAAAAZ1Test01",
) -> str:
    match = f"<ns2:traderNameMatch>{name_match}</ns2:traderNameMatch>" if name_match else ""
    return envelope(
        '<ns2:checkVatApproxResponse xmlns:ns2="urn:ec.europa.eu:taxud:vies:services:checkVat:types">'
        f"<ns2:countryCode>{country}</ns2:countryCode><ns2:vatNumber>{number}</ns2:vatNumber>"
        f"<ns2:requestDate>2026-01-15+01:00</ns2:requestDate><ns2:valid>{str(valid).lower()}</ns2:valid>"
        f"<ns2:traderName>{name}</ns2:traderName><ns2:traderCompanyType>---</ns2:traderCompanyType>"
        f"<ns2:traderAddress>{address}</ns2:traderAddress>{match}"
        f"<ns2:requestIdentifier>{request_identifier}</ns2:requestIdentifier>"
        "</ns2:checkVatApproxResponse>"
    )
