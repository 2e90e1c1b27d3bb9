"""Fault codes, the VIES test-service number table, random faults and latency.

SOAP faults are what VIES returns as `env:Server` faults with HTTP 500; the faultstring is the bare code
(see the official WSDL's documentation and samples/soap/fault-*.xml). Three further "faults" are not SOAP
at all and exist to exercise the client's transport handling:

- ``HTML_503``: an HTML "Service Unavailable" page with HTTP 503, what a load balancer in front of VIES
  serves during maintenance;
- ``HANG``: the request is held for `hang_seconds` (released early when the server stops), then answered
  with a TIMEOUT fault, to prove the client's read timeout fires;
- ``BAD_XML``: HTTP 200 ``text/xml`` with a truncated envelope, "a body that is not the expected XML".

The VIES test service (checkVatTestService.wsdl) maps VAT numbers to answers; the table below is copied
from that WSDL's documentation, so the simulator answers those numbers for every member state code.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Fault(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_REQUESTER_INFO = "INVALID_REQUESTER_INFO"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    MS_UNAVAILABLE = "MS_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    VAT_BLOCKED = "VAT_BLOCKED"
    IP_BLOCKED = "IP_BLOCKED"
    GLOBAL_MAX_CONCURRENT_REQ = "GLOBAL_MAX_CONCURRENT_REQ"
    GLOBAL_MAX_CONCURRENT_REQ_TIME = "GLOBAL_MAX_CONCURRENT_REQ_TIME"
    MS_MAX_CONCURRENT_REQ = "MS_MAX_CONCURRENT_REQ"
    MS_MAX_CONCURRENT_REQ_TIME = "MS_MAX_CONCURRENT_REQ_TIME"
    # Not SOAP: transport-level failures.
    HTML_503 = "HTML_503"
    HANG = "HANG"
    BAD_XML = "BAD_XML"

    @property
    def is_soap(self) -> bool:
        return self not in TRANSPORT_FAULTS


TRANSPORT_FAULTS = frozenset({Fault.HTML_503, Fault.HANG, Fault.BAD_XML})

#: The VIES test service's numbers (checkVatTestService.wsdl): "valid", "invalid" or a fault.
TEST_SERVICE_NUMBERS: dict[str, str | Fault] = {
    "100": "valid",
    "200": "invalid",
    "201": Fault.INVALID_INPUT,
    "202": Fault.INVALID_REQUESTER_INFO,
    "300": Fault.SERVICE_UNAVAILABLE,
    "301": Fault.MS_UNAVAILABLE,
    "302": Fault.TIMEOUT,
    "400": Fault.VAT_BLOCKED,
    "401": Fault.IP_BLOCKED,
    "500": Fault.GLOBAL_MAX_CONCURRENT_REQ,
    "501": Fault.GLOBAL_MAX_CONCURRENT_REQ_TIME,
    "600": Fault.MS_MAX_CONCURRENT_REQ,
    "601": Fault.MS_MAX_CONCURRENT_REQ_TIME,
}

#: What a random fault draws from: the outages real clients meet, all "try again later" codes.
DEFAULT_RANDOM_FAULTS: tuple[Fault, ...] = (
    Fault.MS_UNAVAILABLE,
    Fault.SERVICE_UNAVAILABLE,
    Fault.TIMEOUT,
    Fault.MS_MAX_CONCURRENT_REQ,
    Fault.GLOBAL_MAX_CONCURRENT_REQ,
)


@dataclass(frozen=True)
class FaultRule:
    """A fault for a number or member state; `times=None` means always, else only the next N requests."""

    code: Fault
    times: int | None = None

    @classmethod
    def coerce(cls, value: FaultRule | Fault | str | Mapping[str, Any]) -> FaultRule:
        if isinstance(value, FaultRule):
            return value
        if isinstance(value, str):
            return cls(Fault(value.upper()))
        times = value.get("times")
        return cls(Fault(str(value["code"]).upper()), None if times is None else int(times))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code.value, "times": self.times}


@dataclass(frozen=True)
class Latency:
    """Added delay per SOAP request: fixed (`min_ms == max_ms`) or uniform in [min_ms, max_ms]."""

    min_ms: float = 0.0
    max_ms: float = 0.0

    @classmethod
    def parse(cls, value: Latency | str | float | Sequence[float] | None) -> Latency:
        """Accepts 50, "50", "20-200", (20, 200) or None (no latency)."""
        if value is None or value == "":
            return cls()
        if isinstance(value, Latency):
            return value
        if isinstance(value, str):
            low, _, high = value.partition("-")
            return cls.parse((float(low), float(high or low)))
        if isinstance(value, (int, float)):
            return cls(float(value), float(value))
        low, high = (float(v) for v in value)
        if low < 0 or high < low:
            raise ValueError(f"latency range must be 0 <= min <= max, got {low}-{high}")
        return cls(low, high)

    def __str__(self) -> str:
        return f"{self.min_ms:g}" if self.min_ms == self.max_ms else f"{self.min_ms:g}-{self.max_ms:g}"


class FaultInjector:
    """Random faults, latency, hangs and concurrency caps; one per server, shared by request threads.

    Faults and latency draw from two separate seeded generators so that changing the latency does not
    change which requests fail: with the same seed and the same request order the failures repeat.
    """

    def __init__(
        self,
        *,
        fault_rate: float = 0.0,
        seed: int | None = 0,
        codes: Iterable[Fault | str] = DEFAULT_RANDOM_FAULTS,
        latency: Latency | str | float | Sequence[float] | None = None,
        hang_seconds: float = 30.0,
        max_concurrent: int | None = None,
        max_concurrent_per_ms: int | None = None,
        max_concurrent_by_ms: Mapping[str, int] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._initial = {
            "fault_rate": fault_rate,
            "seed": seed,
            "codes": list(codes),
            "latency": latency,
            "hang_seconds": hang_seconds,
            "max_concurrent": max_concurrent,
            "max_concurrent_per_ms": max_concurrent_per_ms,
            "max_concurrent_by_ms": dict(max_concurrent_by_ms or {}),
        }
        self.reset()

    def reset(self) -> None:
        """Back to the constructor's configuration, generators re-seeded."""
        self.configure(**self._initial)

    def configure(self, **options: Any) -> None:
        """Change any constructor option at run time (the control API's POST /_sim/faults).

        Everything is validated before anything changes, so a bad request leaves the old configuration.
        """
        unknown = set(options) - set(self._initial)
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
        new: dict[str, Any] = {}
        if "fault_rate" in options:
            new["fault_rate"] = float(options["fault_rate"])
            if not 0.0 <= new["fault_rate"] <= 1.0:
                raise ValueError("fault_rate must be between 0 and 1")
        if "seed" in options:
            seed = None if options["seed"] is None else int(options["seed"])
            new["seed"] = seed
            new["_fault_rng"] = random.Random(seed)
            new["_latency_rng"] = random.Random(None if seed is None else seed + 1)
        if "codes" in options:
            new["codes"] = tuple(Fault(str(code).upper()) for code in options["codes"])
            if not new["codes"]:
                raise ValueError("codes must name at least one fault")
        if "latency" in options:
            new["latency"] = Latency.parse(options["latency"])
        if "hang_seconds" in options:
            new["hang_seconds"] = float(options["hang_seconds"])
        for cap in ("max_concurrent", "max_concurrent_per_ms"):
            if cap in options:
                new[cap] = None if options[cap] in (None, 0) else int(options[cap])
        if "max_concurrent_by_ms" in options:
            # A cap per member state ({"BE": 2, "DE": 5}), each state's own MS_MAX_CONCURRENT_REQ limit.
            caps = {str(cc).upper(): int(n) for cc, n in dict(options["max_concurrent_by_ms"] or {}).items()}
            if any(n < 1 for n in caps.values()):
                raise ValueError("max_concurrent_by_ms caps must be at least 1")
            new["max_concurrent_by_ms"] = caps
        with self._lock:
            for name, value in new.items():
                setattr(self, name, value)

    def random_fault(self) -> Fault | None:
        with self._lock:
            if self.fault_rate <= 0.0:
                return None
            if self._fault_rng.random() >= self.fault_rate:
                return None
            return self._fault_rng.choice(self.codes)

    def latency_seconds(self) -> float:
        with self._lock:
            low, high = self.latency.min_ms, self.latency.max_ms
            millis = low if low == high else self._latency_rng.uniform(low, high)
        return millis / 1000.0

    def concurrency_fault(self, in_flight: int, in_flight_ms: int, country: str = "") -> Fault | None:
        """VIES refuses work above its caps rather than queueing it; so does the simulator.

        A member state's own cap (`max_concurrent_by_ms`) comes before the cap shared by every state.
        """
        if self.max_concurrent is not None and in_flight > self.max_concurrent:
            return Fault.GLOBAL_MAX_CONCURRENT_REQ
        cap = self.max_concurrent_by_ms.get(country, self.max_concurrent_per_ms)
        if cap is not None and in_flight_ms > cap:
            return Fault.MS_MAX_CONCURRENT_REQ
        return None

    def hang(self) -> None:
        """Hold the request thread; returns early once `release_hangs()` is called (server stopping)."""
        self._release.wait(self.hang_seconds)

    def release_hangs(self) -> None:
        self._release.set()

    def arm_hangs(self) -> None:
        self._release.clear()

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "fault_rate": self.fault_rate,
                "seed": self.seed,
                "codes": [code.value for code in self.codes],
                "latency": {"min_ms": self.latency.min_ms, "max_ms": self.latency.max_ms},
                "hang_seconds": self.hang_seconds,
                "max_concurrent": self.max_concurrent,
                "max_concurrent_per_ms": self.max_concurrent_per_ms,
                "max_concurrent_by_ms": dict(self.max_concurrent_by_ms),
            }
