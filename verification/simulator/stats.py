"""Request counters for the simulator: what benchmarks and rate-limit tests read back.

Counts are per operation and outcome ("valid", "invalid" or the fault code), plus in-flight and the
highest concurrency seen, globally and per member state: the number a shared per-state limit must keep
down, which is why it is measured here at the server rather than trusted from the clients.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._in_flight_by_country: Counter[str] = Counter()
        self.reset()

    def reset(self) -> None:
        """Zero the counters; requests in flight stay counted so their `leave()` keeps numbers right."""
        with self._lock:
            self._outcomes: Counter[tuple[str, str]] = Counter()
            self._by_country: Counter[str] = Counter()
            self._other: Counter[str] = Counter()
            self._max_concurrent = self._in_flight
            self._max_by_country = {k: n for k, n in self._in_flight_by_country.items() if n}

    def enter(self, country: str) -> tuple[int, int]:
        """A SOAP request started; returns (in flight overall, in flight for this member state)."""
        with self._lock:
            self._in_flight += 1
            self._in_flight_by_country[country] += 1
            here = self._in_flight_by_country[country]
            self._max_concurrent = max(self._max_concurrent, self._in_flight)
            self._max_by_country[country] = max(self._max_by_country.get(country, 0), here)
            return self._in_flight, here

    def leave(self, country: str) -> None:
        with self._lock:
            self._in_flight -= 1
            self._in_flight_by_country[country] -= 1

    def record(self, operation: str, outcome: str, country: str = "") -> None:
        with self._lock:
            self._outcomes[(operation, outcome)] += 1
            if country:
                self._by_country[country] += 1

    def record_other(self, kind: str) -> None:
        """Non-SOAP traffic: "wsdl", "control", "rejected" (bad method, content type or envelope)."""
        with self._lock:
            self._other[kind] += 1

    # --- reading -----------------------------------------------------------------------------------
    @property
    def requests(self) -> int:
        """SOAP requests answered (any outcome)."""
        with self._lock:
            return sum(self._outcomes.values())

    @property
    def max_concurrent(self) -> int:
        with self._lock:
            return self._max_concurrent

    def count(self, operation: str | None = None, outcome: str | None = None) -> int:
        with self._lock:
            return sum(
                n
                for (op, out), n in self._outcomes.items()
                if (operation is None or op == operation) and (outcome is None or out == outcome)
            )

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_operation: dict[str, dict[str, int]] = {}
            for (operation, outcome), n in sorted(self._outcomes.items()):
                by_operation.setdefault(operation, {})[outcome] = n
            return {
                "requests": sum(self._outcomes.values()),
                "by_operation": by_operation,
                "by_country": dict(sorted(self._by_country.items())),
                "in_flight": self._in_flight,
                "max_concurrent": self._max_concurrent,
                "max_concurrent_by_country": dict(sorted(self._max_by_country.items())),
                "other": dict(sorted(self._other.items())),
            }
