"""Local stand-ins for the outside world: an HTTP server for chat providers, an SMTP server for email.

Both listen on 127.0.0.1 only; no test talks to anything else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class FakeHTTP:
    """Records every POST; answers with the queued responses in order, then with the default one."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.responses: deque[tuple[int, bytes, dict[str, str]]] = deque()
        self.default: tuple[int, bytes, dict[str, str]] = (200, b"ok", {})
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append(Request(self.path, dict(self.headers.items()), body))
                status, answer, headers = fake.responses.popleft() if fake.responses else fake.default
                time.sleep(fake.delay)
                self.send_response(status)
                for name, value in {"Content-Length": str(len(answer)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads, self.server.block_on_close = True, False  # a client that gave up is gone
        self.server.handle_error = lambda request, address: None  # ... and its broken pipe is no news
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def respond(self, status: int, body: bytes | dict = b"", headers: dict[str, str] | None = None) -> None:
        if isinstance(body, dict):
            body, headers = json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
        self.responses.append((status, body, headers or {}))

    def __enter__(self) -> FakeHTTP:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Received:
    recipient: str
    content: bytes

    @cached_property
    def message(self) -> EmailMessage:
        # Parsed on demand, in the test's thread: parsing in the server would slow every SMTP reply.
        return message_from_bytes(self.content, policy=policy.default)

    @cached_property
    def headers(self) -> Message:
        return BytesHeaderParser().parsebytes(self.content)  # headers only, the cheap legacy way

    @property
    def key(self) -> str:
        return self.headers["X-Vatcrm-Delivery"]


class SMTPSink:
    """A real SMTP server (aiosmtpd) that keeps what it accepts, one entry per envelope recipient.

    Recipients starting with "refused" get 550 (permanent), with "busy" 450 (try again later).
    """

    def __init__(self, port: int | None = None, *, delay: float = 0.0) -> None:
        self.port = port or free_port()
        self.delay = delay
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy"):
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received += [Received(recipient, envelope.content) for recipient in envelope.rcpt_tos]
        return "250 Message accepted for delivery"

    def start(self) -> SMTPSink:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
