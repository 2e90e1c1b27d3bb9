"""The registry simulator in a process of its own, driven through its control API.

Why a process: a simulator thread in the measuring process shares its interpreter lock with the callers
being measured, so the simulator's own CPU would count as theirs. Here it runs beside them (the second
core), and the benchmark reads its counters over HTTP (GET /_sim/stats), as another app's tests would.

    python -m benchmarks.simulator_process      # prints its base URL on the first line, then serves
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

BATCH = 2_000  # companies per POST /_sim/companies


class SimulatorProcess:
    """Start with `start()`; `configure(latency=100, max_concurrent_by_ms={"BE": 2})`; read `stats()`."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self) -> SimulatorProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.simulator_process"],
            cwd=common.ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            raise RuntimeError(f"the simulator did not start: {self.base_url!r}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    @property
    def wsdl_url(self) -> str:
        return self.base_url + "/vies/checkVatService.wsdl"

    @property
    def service_url(self) -> str:
        return self.base_url + "/vies/services/checkVatService"

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.base_url}/_sim{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def configure(self, **faults: Any) -> None:
        """Any option of POST /_sim/faults: latency_ms, max_concurrent_by_ms, fault_rate, ..."""
        self._call("POST", "/faults", faults)

    def add(self, companies: Iterable[tuple[str, str]]) -> None:
        batch: list[dict[str, str]] = []
        for vat, name in companies:
            batch.append({"vat": vat, "name": name, "address": "Street 1\n1000 City"})
            if len(batch) >= BATCH:
                self._call("POST", "/companies", batch)
                batch = []
        if batch:
            self._call("POST", "/companies", batch)

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")

    def reset_stats(self) -> None:
        self._call("POST", "/stats/reset", {})

    def refused(self) -> int:
        """SOAP requests answered MS_MAX_CONCURRENT_REQ since the last reset."""
        by_operation = self.stats()["by_operation"]
        return sum(outcomes.get("MS_MAX_CONCURRENT_REQ", 0) for outcomes in by_operation.values())

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve() -> None:
    from verification.simulator import Registry, SimulatorServer

    server = SimulatorServer(Registry.default())
    server.bind()
    print(server.base_url, flush=True)  # no log line per request: it would cost the simulator's CPU
    server.serve_forever()


if __name__ == "__main__":  # SIGTERM (stop()) ends it: nothing to clean up
    serve()
