"""Command-line front end shared by `manage.py registry_simulator` and `python -m verification.simulator`.

The module entry point exists so benchmarks and non-Django tooling can run the simulator without
settings or a database; the management command is the documented way inside the project.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Mapping
from types import FrameType
from typing import Any, TextIO

from .registry import Registry
from .server import SimulatorServer

DEFAULT_PORT = 8001  # vatcrm.settings' REGISTRY_SIMULATOR_URL default
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)")
    parser.add_argument("--registry", metavar="FILE", help="registry fixture JSON (default: the demo registry)")
    parser.add_argument("--latency-ms", metavar="MS|MIN-MAX", help='added latency, "50" or "20-200"')
    parser.add_argument("--fault-rate", type=float, default=0.0, help="probability of a random fault, 0..1")
    parser.add_argument("--seed", type=int, default=0, help="seed for random faults and latency (default 0)")
    parser.add_argument("--hang-seconds", type=float, default=30.0, help="how long a HANG fault holds a request")
    parser.add_argument("--max-concurrent", type=int, help="refuse above N in flight: GLOBAL_MAX_CONCURRENT_REQ")
    parser.add_argument(
        "--max-concurrent-per-ms", type=int, help="refuse above N in flight per member state: MS_MAX_CONCURRENT_REQ"
    )
    parser.add_argument("--no-control", action="store_true", help="disable the /_sim control API")


def build_server(options: Mapping[str, Any]) -> SimulatorServer:
    registry = Registry.from_file(options["registry"]) if options.get("registry") else Registry.default()
    return SimulatorServer(
        registry,
        host=options["host"],
        port=options["port"],
        latency=options.get("latency_ms"),
        fault_rate=options["fault_rate"],
        seed=options["seed"],
        hang_seconds=options["hang_seconds"],
        max_concurrent=options.get("max_concurrent"),
        max_concurrent_per_ms=options.get("max_concurrent_per_ms"),
        control=not options.get("no_control"),
    )


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # leaves serve_forever like Ctrl-C does


def run(options: Mapping[str, Any], out: TextIO) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM; one log line per request on `out`."""
    server = build_server(options)
    server.bind()  # raises OSError (port in use) before anything is printed
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log = logging.getLogger("verification.simulator")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # the line goes to `out` once, whatever the root logger does
    faults = server.faults
    out.write(
        f"Registry simulator listening on {server.base_url}/ ({len(server.registry)} companies)\n"
        f"  WSDL     {server.wsdl_url}\n"
        f"  service  {server.service_url}\n"
        f"  HMRC     {server.base_url}/hmrc   UID {server.base_url}/uid/V5.0/PublicServices.svc\n"
        f"  brreg    {server.base_url}/brreg/enhetsregisteret/api\n"
        f"  control  {server.control_url + '/' if server.app.control_enabled else 'disabled'}\n"
        f"  latency  {faults.latency} ms, fault rate {faults.fault_rate:g}, seed {faults.seed}\n"
    )
    if options["host"] not in _LOOPBACK and server.app.control_enabled:
        out.write("  WARNING: the control API is reachable from the network; use --no-control or 127.0.0.1\n")
    out.flush()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        log.removeHandler(handler)
    out.write("Registry simulator stopped.\n")
    out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verification.simulator", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run(vars(args), sys.stdout)
    except OSError as exc:
        print(f"registry simulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
