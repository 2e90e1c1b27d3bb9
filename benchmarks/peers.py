"""Side by side, in one run, against the same simulator: python-stdnum's check_vies, a plain zeep thread pool,
and vatcrm's verify_vat() through its fair, adaptive registry limit.

    python -m benchmarks.peers                      # caps 2, 5, 12 (BE, DE, NL), 100 ms per call
    python -m benchmarks.peers --calls 300 --threads 32 --latency-ms 300
    python -m benchmarks.peers --quick

The simulator (a process of its own) refuses a member state's calls above its cap with
MS_MAX_CONCURRENT_REQ, as VIES does; the caps are not told to any client. The numbers are spread over the
states in proportion to their caps, so the true ceiling is (2 + 5 + 12) / round trip. Printed for each:
calls per second, answers per second (calls not refused), the share refused, the share of the ceiling
reached, and the ratios of vatcrm to each peer.

- **python-stdnum** ``stdnum.eu.vat.check_vies(number)`` in a loop: the usual script (one call at a time,
  a cached zeep client).
- **plain zeep pool**: one ``zeep.Client`` shared by ``--threads`` threads calling ``checkVat``, no limit:
  what a hand-rolled bulk checker does.
- **vatcrm**: ``verify_vat()`` from ``--threads`` threads (format rules, evidence, the shared limit in
  Redis that learns each state's cap, starting at 5).
"""

from __future__ import annotations

import argparse
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common
from benchmarks.simulator_process import SimulatorProcess

CAPS = {"BE": 2, "DE": 5, "NL": 12}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_200, help="calls for the pool and for vatcrm")
    parser.add_argument("--loop-calls", type=int, default=60, help="calls of the one-at-a-time stdnum loop")
    parser.add_argument("--threads", type=int, default=48)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--quick", action="store_true", help="a third of the calls")
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.loop_calls = args.calls // 3, args.loop_calls // 3
    return args


def numbers(count: int, offset: int) -> list[str]:
    pattern = [cc for cc, cap in CAPS.items() for _ in range(cap)]
    return [common.VAT_MAKERS[pattern[n % len(pattern)]](offset + n) for n in range(count)]


def measure(name: str, sim: SimulatorProcess, calls: list[str], threads: int, one: Any) -> dict[str, Any]:
    """Run `one(number)` for every number on `threads` threads; `one` returns True when the call was refused."""
    sim.reset_stats()
    refused_here = 0
    lock = threading.Lock()

    def call(number: str) -> None:
        nonlocal refused_here
        if one(number):
            with lock:
                refused_here += 1

    clock = common.Stopwatch()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(call, calls))
    seconds = clock()
    stats = sim.stats()
    refused = sim.refused()
    return {
        "name": name,
        "threads": threads,
        "calls": len(calls),
        "seconds": seconds,
        "refused": refused,
        "not_asked": refused_here - refused if refused_here > refused else 0,
        "requests": stats["requests"],
        "max_in_flight": stats["max_concurrent_by_country"],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with SimulatorProcess() as sim:
        sim.configure(latency_ms=args.latency_ms or None, max_concurrent_by_ms=CAPS)
        everything = numbers(args.loop_calls + 2 * args.calls + 3, 0)
        sim.add((vat, f"Supplier {n}") for n, vat in enumerate(everything))
        common.setup_django(
            args,
            migrate=False,
            VIES_WSDL_URL=sim.wsdl_url,
            VIES_SERVICE_URL=sim.service_url,
            REGISTRY_SIMULATOR_URL=sim.base_url,
            REGISTRY_MAX_IN_FLIGHT_PER_STATE="5",
            REGISTRY_MAX_IN_FLIGHT="20",
        )
        import stdnum.eu.vat
        import zeep
        from zeep.exceptions import Fault

        from verification import ratelimit
        from verification.service import verify_vat
        from verification.verdicts import Requester

        common.clear_limiter()
        print(f"peers benchmark: {common.machine()}")
        print(
            f"simulator caps {CAPS} (unknown to the clients), {args.latency_ms:g} ms per call; "
            f"python-stdnum {stdnum.__version__}, zeep {zeep.__version__}"
        )
        loop, pool_numbers, ours = (
            everything[: args.loop_calls],
            everything[args.loop_calls : args.loop_calls + args.calls],
            everything[args.loop_calls + args.calls : -3],
        )
        warm = everything[-3:]

        stdnum.eu.vat.vies_wsdl = sim.wsdl_url  # its soap:address is the simulator's

        def stdnum_one(number: str) -> bool:
            try:
                stdnum.eu.vat.check_vies(number)
            except Fault as fault:
                return "MAX_CONCURRENT" in str(fault)
            return False

        client = zeep.Client(sim.wsdl_url)

        def zeep_one(number: str) -> bool:
            try:
                client.service.checkVat(number[:2], number[2:])
            except Fault as fault:
                return "MAX_CONCURRENT" in str(fault)
            return False

        requester = Requester("IE6388047V", "Requester Ltd")

        def ours_one(number: str) -> bool:
            verdict = verify_vat(number, requester=requester)
            return verdict.registry_result.error_code in {"MS_MAX_CONCURRENT_REQ", "RATE_LIMITED"}

        stdnum_one(warm[0]), zeep_one(warm[1]), ours_one(warm[2])  # WSDLs loaded outside the figures
        results = [
            measure("python-stdnum check_vies, a loop", sim, loop, 1, stdnum_one),
            measure(f"plain zeep, {args.threads} threads", sim, pool_numbers, args.threads, zeep_one),
            measure(f"vatcrm verify_vat, {args.threads} threads", sim, ours, args.threads, ours_one),
        ]
        windows = {cc: ratelimit.get_limiter().window("vies", cc) for cc in CAPS}
        report(args, results, windows)
    return 0


def report(args: argparse.Namespace, results: list[dict[str, Any]], windows: dict[str, float]) -> None:
    ceiling = sum(CAPS.values()) * 1000 / args.latency_ms
    common.heading(f"the same simulator, caps {CAPS}, {args.latency_ms:g} ms: ceiling {ceiling:.0f} answers/s")
    rows = []
    for r in results:
        rate = r["calls"] / r["seconds"]
        answers = (r["calls"] - r["refused"]) / r["seconds"]
        r["answers"] = answers
        rows.append((
            r["name"], r["calls"], r["seconds"], rate, answers, f"{100 * r['refused'] / max(1, r['requests']):.2f}%",
            f"{100 * answers / ceiling:.0f}%", ", ".join(f"{cc} {n}" for cc, n in r["max_in_flight"].items()),
        ))  # fmt: skip
    common.table(rows, ["client", "calls", "s", "calls/s", "answers/s", "refused", "of ceiling", "max in flight/state"])
    ours = results[-1]["answers"]
    print(
        f"\nvatcrm / python-stdnum loop: {ours / results[0]['answers']:.1f}x answers per second; "
        f"vatcrm / plain zeep pool: {ours / results[1]['answers']:.2f}x answers per second, "
        f"with {results[1]['refused']} refusals for zeep and {results[2]['refused']} for vatcrm"
        f"\nwindows vatcrm learned (true caps {CAPS}): " + ", ".join(f"{cc} {w:.1f}" for cc, w in windows.items())
    )


if __name__ == "__main__":
    sys.exit(main())
