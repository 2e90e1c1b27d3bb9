"""A small forward proxy on loopback for the egress tests: it records what it is asked to reach.

It speaks the two ways clients use a proxy: `CONNECT host:port` (a tunnel: what urllib3 does for HTTPS,
and what notifications/http.py does for every user-typed URL) and an absolute URL (`GET http://host/...`,
what requests does for plain HTTP to a trusted host: the VIES fake here). It reaches loopback only: any
other target is recorded and answered 403, so a test can never send anything to an outside address,
whatever the code under test gets wrong.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import select
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Asked:
    method: str  # "CONNECT", or the method of a forwarded request
    target: str  # "127.0.0.1:8443" for CONNECT, the absolute URL otherwise
    authorization: str | None  # the Proxy-Authorization header, as sent


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: the proxy would resolve it itself, which is what the tests look for


@dataclass
class ForwardProxy:
    credentials: tuple[str, str] | None = None  # required from clients when set (else 407)
    asked: list[Asked] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_CONNECT(self) -> None:
                host, _, port = self.path.rpartition(":")
                if not proxy.admit(self, "CONNECT", self.path, host):
                    return
                with socket.create_connection((host.strip("[]"), int(port)), timeout=5) as upstream:
                    self.send_response(200, "Connection established")
                    self.end_headers()
                    relay(self.connection, upstream)
                self.close_connection = True

            def forward(self) -> None:
                parts = urlsplit(self.path)
                if not proxy.admit(self, self.command, self.path, parts.hostname or ""):
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if not k.lower().startswith("proxy-")}
                upstream = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=5)
                upstream.request(self.command, parts.path + (f"?{parts.query}" if parts.query else ""), body, headers)
                answer = upstream.getresponse()
                content = answer.read()
                self.send_response(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(content)
                upstream.close()
                self.close_connection = True

            do_GET = do_POST = forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads, self.server.block_on_close = True, False
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def admit(self, handler: BaseHTTPRequestHandler, method: str, target: str, host: str) -> bool:
        authorization = handler.headers.get("Proxy-Authorization")
        self.asked.append(Asked(method, target, authorization))
        if self.credentials and authorization != basic(*self.credentials):
            return self.refuse(handler, 407, "Proxy Authentication Required")
        if not _loopback(host):
            return self.refuse(handler, 403, "Loopback only")
        return True

    @staticmethod
    def refuse(handler: BaseHTTPRequestHandler, status: int, reason: str) -> bool:
        handler.send_response(status, reason)
        handler.send_header("Content-Length", "0")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        return False

    @property
    def url(self) -> str:
        user = ":".join(self.credentials) + "@" if self.credentials else ""
        return f"http://{user}127.0.0.1:{self.server.server_address[1]}"

    @property
    def address(self) -> tuple[str, int]:
        return self.server.server_address[:2]

    def __enter__(self) -> ForwardProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    sockets = [client, upstream]
    while True:
        readable, _, failed = select.select(sockets, [], sockets, 5)
        if failed or not readable:
            return
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (upstream if source is client else client).sendall(data)
