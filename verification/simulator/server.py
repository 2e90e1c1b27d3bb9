"""HTTP server around SimulatorApp: in a background thread for tests, in the foreground for the command.

    with SimulatorServer(latency="5-20", fault_rate=0.1, seed=1) as sim:
        client = zeep.Client(sim.wsdl_url)
        ...

A ThreadingHTTPServer-style server (wsgiref + ThreadingMixIn, daemon threads) so that concurrent clients
really overlap, which the concurrency caps and the `max_concurrent` statistic depend on. Stopping does not
wait for requests still in flight: hung requests are released and the threads are daemons.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from socketserver import TCPServer, ThreadingMixIn
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from .app import SERVICE_PATH, TEST_SERVICE_PATH, TEST_WSDL_PATH, WSDL_PATH, SimulatorApp
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

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host with socket.getfqdn(), a reverse DNS lookup that can
        # stall for seconds on a machine without network; the simulator only needs the literal address.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()


class _Handler(WSGIRequestHandler):
    """The app logs its own line per request (with operation and outcome); keep wsgiref quiet."""

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
