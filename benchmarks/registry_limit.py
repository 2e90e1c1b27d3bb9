"""The registry limit under contention: waits in arrival order, people ahead of the night run.

    python -m benchmarks.registry_limit                 # 32 callers on 5 slots, 100 ms per call
    python -m benchmarks.registry_limit --callers 64 --calls 5 --latency-ms 300
    python -m benchmarks.registry_limit --quick

Every caller runs verify_vat() in a loop (the production path: format rules, the Redis limiter shared by
every thread, the cached zeep client) against the registry simulator, which runs in a process of its own.
Printed: each call's wait for a slot (p50, p95, p99, max) beside what queueing predicts for a fair queue
(a closed system: N callers, c slots, each holding a slot S seconds and away from it Z seconds between
calls wait N x (S + Z) / c - S - Z each), the calls that came back RATE_LIMITED, and the wait of one
person at the Verify page (priority INTERACTIVE) while the callers (BACKGROUND) saturate the slots.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common
from benchmarks.simulator_process import SimulatorProcess

REQUESTER = ("IE6388047V", "Requester Ltd")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, default=32)
    parser.add_argument("--calls", type=int, default=12, help="calls per caller")
    parser.add_argument("--slots", type=int, default=5, help="REGISTRY_MAX_IN_FLIGHT_PER_STATE (fixed here)")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--person-calls", type=int, default=20, help="calls of the person at the Verify page")
    parser.add_argument("--quick", action="store_true", help="a third of the calls")
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.person_calls = max(3, args.calls // 3), max(5, args.person_calls // 3)
    return args


class Timed:
    """Wraps the process's limiter: how long each caller waited for its slot, and held it."""

    def __init__(self, limiter: Any) -> None:
        self.limiter = limiter
        self.lock = threading.Lock()
        self.waits: dict[str, list[float]] = {}
        self.holds: list[float] = []
        self.original = limiter.acquire
        limiter.acquire = self.acquire

    def acquire(self, service: str, country_code: str, timeout: float, priority: Any = None) -> Any:
        from verification.ratelimit import _PRIORITY

        started = time.perf_counter()
        lease = self.original(service, country_code, timeout, priority)
        granted = time.perf_counter()
        who = (_PRIORITY.get() if priority is None else priority).name
        release = lease._release

        def timed_release(ok: bool) -> None:
            with self.lock:
                self.holds.append(time.perf_counter() - granted)
            release(ok)

        lease._release = timed_release
        with self.lock:
            self.waits.setdefault(who, []).append(granted - started)
        return lease


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with SimulatorProcess() as sim:
        sim.configure(latency_ms=args.latency_ms or None)
        numbers = [common.belgian_vat(n) for n in range(args.callers * args.calls + args.person_calls)]
        sim.add((vat, f"Supplier {n}") for n, vat in enumerate(numbers))
        common.setup_django(
            args,
            migrate=False,  # verify_vat() alone: no table is written
            VIES_WSDL_URL=sim.wsdl_url,
            VIES_SERVICE_URL=sim.service_url,
            REGISTRY_SIMULATOR_URL=sim.base_url,
            REGISTRY_MAX_IN_FLIGHT_PER_STATE=str(args.slots),
            REGISTRY_MAX_IN_FLIGHT=str(args.slots),
        )
        from verification import ratelimit
        from verification.service import verify_vat
        from verification.verdicts import Requester

        common.clear_limiter()
        print(f"registry limit benchmark: {common.machine()}")
        print(
            f"{args.callers} callers x {args.calls} calls on {args.slots} slots (one member state), "
            f"{args.latency_ms:g} ms per call; the simulator in its own process"
        )
        requester = Requester(*REQUESTER)
        verify_vat(numbers[-1], requester=requester)  # the WSDL, loaded once, outside the figures
        timed = Timed(ratelimit.get_limiter())
        outcomes: list[str] = []
        lock = threading.Lock()
        think: list[float] = []

        def caller(index: int) -> None:
            with ratelimit.registry_priority(ratelimit.Priority.BACKGROUND):
                for call in range(args.calls):
                    started = time.perf_counter()
                    verdict = verify_vat(numbers[index * args.calls + call], requester=requester)
                    with lock:
                        outcomes.append(verdict.registry_result.error_code or verdict.overall_status)
                        think.append(time.perf_counter() - started)

        def person() -> None:
            time.sleep(1.0)  # once the queue is long
            for call in range(args.person_calls):
                verdict = verify_vat(numbers[args.callers * args.calls + call], requester=requester)
                with lock:
                    outcomes.append(verdict.registry_result.error_code or verdict.overall_status)
                time.sleep(0.15)

        clock = common.Stopwatch()
        with ThreadPoolExecutor(max_workers=args.callers + 1) as pool:
            futures = [pool.submit(caller, i) for i in range(args.callers)] + [pool.submit(person)]
            for future in futures:
                future.result()
        seconds = clock()
        report(args, timed, think, outcomes, seconds, sim.stats())
    return 0


def report(args: argparse.Namespace, timed: Timed, totals: list[float], outcomes: list[str], seconds: float,
           stats: dict[str, Any]) -> None:  # fmt: skip
    background = [w * 1000 for w in timed.waits.get("BACKGROUND", [])]
    person = [w * 1000 for w in timed.waits.get("INTERACTIVE", [])]
    hold = statistics.fmean(timed.holds)
    # Away from the slot between two calls: a call's whole time less its wait and its hold.
    away = max(0.0, statistics.fmean(totals) - statistics.fmean(background) / 1000 - hold)
    cycle = hold + away
    predicted = max(0.0, args.callers * cycle / args.slots - cycle) * 1000
    common.heading(f"wait for a slot: {args.callers} callers on {args.slots} slots, {args.latency_ms:g} ms per call")
    rows = []
    for name, waits in (("night run (BACKGROUND)", background), ("person at Verify (INTERACTIVE)", person)):
        s = common.latency_summary(waits)
        rows.append((name, s["n"], s["mean"], s["p50"], s["p95"], s["p99"], s["max"]))
    common.table(rows, ["who", "calls", "mean ms", "p50", "p95", "p99", "max"])
    p99 = common.percentile(background, 99)
    rate_limited = outcomes.count("RATE_LIMITED")
    print(
        f"\nheld per call {hold * 1000:.0f} ms, away between calls {away * 1000:.0f} ms; a fair queue predicts a wait"
        f" of {predicted:.0f} ms\np99 / prediction: {p99 / predicted if predicted else float('nan'):.2f} (target"
        f" <= 1.5); RATE_LIMITED: {rate_limited} of {len(outcomes)} calls; calls/s {len(outcomes) / seconds:.1f}"
        f" (slots / hold: {args.slots / hold:.1f}); max in flight at the simulator "
        f"{stats['max_concurrent_by_country'].get('BE', 0)}"
    )


if __name__ == "__main__":
    sys.exit(main())
