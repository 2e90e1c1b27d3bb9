"""HTTP server around SimulatorApp: in a background thread for tests, in the foreground for the command.

    with SimulatorServer(latency="5-20", fault_rate=0.1, seed=1) as sim:
        client = zeep.Client(sim.wsdl_url)
        ...

A ThreadingHTTPServer-style server (wsgiref + ThreadingMixIn, daemon threads) so that concurrent clients
really overlap, which the concurrency caps and the `max_concurrent` statistic depend on. Stopping does not
wait for requests still in flight: hung requests are released and the threads are daemons.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import threading
from collections.abc import Sequence
from socketserver import TCPServer, ThreadingMixIn
from types import TracebackType
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from .app import MAX_BODY, SERVICE_PATH, TEST_SERVICE_PATH, TEST_WSDL_PATH, WSDL_PATH, SimulatorApp
from .faults import DEFAULT_RANDOM_FAULTS, Fault, FaultInjector, Latency
from .registry import Registry
from .stats import Stats

logger = logging.getLogger("verification.simulator")


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # Benchmarks open many connections at once; the default backlog of 5 would refuse some.
    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def connection_opened(self, sock: socket.socket) -> None:
        with self._open_lock:
            self._open.add(sock)

    def connection_closed(self, sock: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(sock)

    def server_close(self) -> None:
        """Close the kept-alive connections too: a stopped simulator answers nothing, on any connection."""
        super().server_close()
        with self._open_lock:
            open_now, self._open = list(self._open), set()
        for sock in open_now:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host with socket.getfqdn(), a reverse DNS lookup that can
        # stall for seconds on a machine without network; the simulator only needs the literal address.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()


class _KeepAliveHandler(ServerHandler):
    """wsgiref's handler, answering in HTTP/1.1; notes whether the answer carried its length."""

    http_version = "1.1"
    framed = False

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        self.framed = self.headers.get("Content-Length") is not None
        if self.request_handler.close_connection or not self.framed:
            self.headers["Connection"] = "close"


class _Handler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive, as VIES's own front end: a client's pooled connection serves call after
    call (wsgiref alone is HTTP/1.0, a TCP connection and a server thread per call, a cost no real registry
    makes a client pay). The app logs its own line per request; wsgiref is kept quiet."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds an idle kept-alive connection is kept; then its thread ends

    def setup(self) -> None:
        super().setup()
        # wsgiref writes the status line, the headers and the body apart: on a kept-alive connection,
        # Nagle's algorithm would hold the body back until the client's delayed ACK (40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.connection_closed(self.connection)

    def handle(self) -> None:
        self.close_connection = True
        self._handle_one()
        while not self.close_connection:
            self._handle_one()

    def _handle_one(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except OSError:  # the idle timeout, or the client went away
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            self.close_connection = True
            return
        if not self.parse_request():  # an error was sent; parse_request decided about the connection
            return
        environ = self.get_environ()
        # The body is read here, whole, so that whatever the app reads of it the next request starts at
        # its own first byte; a body without a length, or too large to read, ends the connection.
        length = self.headers.get("Content-Length", "0")
        if self.headers.get("Transfer-Encoding") or not length.isdigit() or int(length) > MAX_BODY:
            self.close_connection = True
            body = self.rfile
        else:
            body = io.BytesIO(self.rfile.read(int(length)))
        handler = _KeepAliveHandler(body, self.wfile, self.get_stderr(), environ, multithread=False)
        handler.request_handler = self  # backpointer for logging
        handler.run(self.server.get_app())
        if not handler.framed:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SimulatorServer:
    """The registry simulator on a loopback port; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: Latency | str | float | Sequence[float] | None = None,
        fault_rate: float = 0.0,
        seed: int | None = 0,
        fault_codes: Sequence[Fault | str] = DEFAULT_RANDOM_FAULTS,
        hang_seconds: float = 30.0,
        max_concurrent: int | None = None,
        max_concurrent_per_ms: int | None = None,
        max_concurrent_by_ms: dict[str, int] | None = None,
        control: bool = True,
    ) -> None:
        faults = FaultInjector(
            fault_rate=fault_rate,
            seed=seed,
            codes=fault_codes,
            latency=latency,
            hang_seconds=hang_seconds,
            max_concurrent=max_concurrent,
            max_concurrent_per_ms=max_concurrent_per_ms,
            max_concurrent_by_ms=max_concurrent_by_ms,
        )
        self.app = SimulatorApp(registry, faults, control=control, consultation_seed=seed)
        self.host = host
        self._requested_port = port
        self._httpd: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------
    def bind(self) -> None:
        """Open the listening socket (port 0 = any free port); start() and serve_forever() call it."""
        if self._httpd is None:
            self._httpd = _ThreadingWSGIServer((self.host, self._requested_port), _Handler)
            self._httpd.set_app(self.app)
            self.app.faults.arm_hangs()  # a restarted server hangs again

    def start(self) -> SimulatorServer:
        """Serve in a daemon thread; returns once the socket accepts connections."""
        self.bind()
        assert self._httpd is not None
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="registry-simulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until KeyboardInterrupt (the management command's Ctrl-C/SIGTERM)."""
        self.bind()
        assert self._httpd is not None
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self.close()

    def stop(self) -> None:
        """Stop serving and close the socket; in-flight hangs are released, nothing is awaited."""
        if self._httpd is None:
            return
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.close()

    def close(self) -> None:
        self.app.faults.release_hangs()
        if self._httpd is not None:
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the simulator is not bound; call start() or use it as a context manager")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def wsdl_url(self) -> str:
        return self.base_url + WSDL_PATH

    @property
    def service_url(self) -> str:
        return self.base_url + SERVICE_PATH

    @property
    def test_wsdl_url(self) -> str:
        return self.base_url + TEST_WSDL_PATH

    @property
    def test_service_url(self) -> str:
        return self.base_url + TEST_SERVICE_PATH

    @property
    def control_url(self) -> str:
        return self.base_url + "/_sim"

    # --- state -------------------------------------------------------------------------------------
    @property
    def registry(self) -> Registry:
        return self.app.registry

    @property
    def faults(self) -> FaultInjector:
        return self.app.faults

    @property
    def stats(self) -> Stats:
        return self.app.stats

    def set_fault_rate(
        self, rate: float, *, seed: int | None = None, codes: Sequence[Fault | str] | None = None
    ) -> None:
        """Random fault probability per SOAP request; `seed` restarts the generator for repeatable runs."""
        options: dict[str, Any] = {"fault_rate": rate}
        if seed is not None:
            options["seed"] = seed
        if codes is not None:
            options["codes"] = list(codes)
        self.faults.configure(**options)

    def set_latency(self, latency: Latency | str | float | Sequence[float] | None) -> None:
        """50 (ms), "20-200", (20, 200) or None."""
        self.faults.configure(latency=latency)

    def set_fault(self, vat_or_country: str, code: Fault | str | None, *, times: int | None = None) -> None:
        """Always (or the next `times` requests) fail `vat_or_country` with `code`; None clears the rule."""
        rule = None if code is None else {"code": str(code), "times": times}
        self.registry.set_fault(vat_or_country, rule)

    def reset(self) -> None:
        """Registry back to its fixture, faults to the constructor's configuration, stats zeroed."""
        self.app.reset()
