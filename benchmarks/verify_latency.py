"""Latency of one verification: verify_vat() alone, and POST /verify/ (JSON) end to end, against the simulator.

    python -m benchmarks.verify_latency                     # 200 calls each, simulator answering at once
    python -m benchmarks.verify_latency --latency-ms 100    # what a slower registry adds
    python -m benchmarks.verify_latency --threads 8 --mode function   # one process, 8 threads, one WSDL load
    python -m benchmarks.verify_latency --quick             # 50 calls each

Both modes run in this process with the production code path: format rules, the Redis registry limiter, the
cached zeep client over HTTP to the simulator (in this process, a thread), and for the endpoint the whole
Django stack (middleware, session, form, run_verification storing the check on PostgreSQL). The first call
is reported apart: it loads the WSDL. The simulator counts WSDL GETs: one per process is the promise.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/verify_latency.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

REQUESTER = ("IE6388047V", "Requester Ltd")
MAX_STATEMENTS = 10


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per mode (K), after the first one")
    parser.add_argument("--mode", choices=["both", "function", "endpoint"], default="both")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="simulator latency per SOAP call")
    parser.add_argument("--threads", type=int, default=1, help="concurrent callers in function mode")
    parser.add_argument("--numbers", type=int, default=50, help="distinct VAT numbers the calls cycle through")
    parser.add_argument("--quick", action="store_true", help="K=50")
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.calls = min(args.calls, 50)
    if min(args.calls, args.threads, args.numbers) < 1:
        parser.error("sizes must be positive")
    return args


def run_function(args: argparse.Namespace, numbers: list[str]) -> dict[str, Any]:
    """verify_vat() with a requester (checkVatApprox, as a workspace with a company does), K times."""
    from verification.service import verify_vat
    from verification.verdicts import Requester

    requester = Requester(*REQUESTER)

    def call(i: int) -> tuple[float, float | None, str]:
        started = time.perf_counter()
        verdict = verify_vat(numbers[i % len(numbers)], requester=requester)
        registry = verdict.registry_result
        return (time.perf_counter() - started) * 1000, registry.latency_ms if registry else None, verdict.overall_status

    first = call(0)
    clock = common.Stopwatch()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        timed = list(pool.map(call, range(1, args.calls + 1)))
    return _summary(first, timed, clock(), queries=None)


def run_endpoint(args: argparse.Namespace, numbers: list[str]) -> dict[str, Any]:
    """POST /verify/ as a script would (JSON in, JSON out), signed in, one after the other."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from crm.models import CheckResult, Company
    from crm.services import workspace_create_for_user

    user = get_user_model().objects.create_user("bench", "bench@example.com", "bench-password-not-secret")
    workspace = workspace_create_for_user(user=user, name="Bench workspace")
    Company.objects.create(workspace=workspace, name=REQUESTER[1], vat_number=REQUESTER[0])
    client = Client()
    client.force_login(user)
    statements: dict[str, list[int]] = {"known": [], "new": []}

    def call(i: int) -> tuple[float, float | None, str]:
        body = json.dumps({"vat_number": numbers[i % len(numbers)]})
        # Counted as PostgreSQL receives them, BEGIN and COMMIT included (tests/crm/test_verify_statements.py).
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.post("/verify/", body, content_type="application/json", HTTP_ACCEPT="application/json")
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 201:
            raise RuntimeError(f"POST /verify/ answered {response.status_code}: {response.content[:300]!r}")
        if i:  # the cold call is apart
            statements["new" if i < len(numbers) else "known"].append(len(queries))
        payload = response.json()
        # The JSON has no timings: the registry's round trip is read back from the stored evidence.
        vies = CheckResult.objects.filter(check_run_id=payload["check_id"], service="vies").first()
        return elapsed, vies.latency_ms if vies else None, payload.get("overall_status", "?")

    first = call(0)
    clock = common.Stopwatch()
    timed = [call(i) for i in range(1, args.calls + 1)]
    return _summary(first, timed, clock(), queries=statements)


def _summary(
    first: tuple[float, float | None, str], timed: list[tuple[float, float | None, str]], seconds: float,
    queries: dict[str, list[int]] | None,
) -> dict[str, Any]:  # fmt: skip
    statuses: dict[str, int] = {}
    for _, _, status in timed:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "first_ms": first[0],
        "ms": common.latency_summary([ms for ms, _, _ in timed]),
        "registry_ms": common.latency_summary([float(v) for _, v, _ in timed if v is not None]),
        "per_second": len(timed) / seconds if seconds else 0.0,
        "statuses": statuses,
        "queries": queries,
    }


def _statements(counts: dict[str, list[int]] | None) -> str:
    """The most statements one request took, for a number already stored and for a new one."""
    if counts is None:
        return "-"
    return " / ".join(str(max(counts[kind])) if counts[kind] else "-" for kind in ("known", "new"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from verification.simulator import Registry, SimulatorServer

    sim = SimulatorServer(Registry.default(), latency=args.latency_ms or None).start()
    try:
        common.setup_django(
            args, VIES_WSDL_URL=sim.wsdl_url, VIES_SERVICE_URL=sim.service_url, REGISTRY_SIMULATOR_URL=sim.base_url
        )
        common.reset_data()
        common.clear_limiter()
        numbers = [common.belgian_vat(n) for n in range(args.numbers)]
        for n, vat in enumerate(numbers):
            sim.registry.add(vat, f"Supplier {n} NV", f"Rue du Commerce {n}\n1000 Bruxelles")
        print(f"verify latency benchmark: {common.machine()}")
        print(f"simulator latency {args.latency_ms:g} ms per SOAP call; {args.calls} timed calls per mode")
        sim.stats.reset()
        modes = ["function", "endpoint"] if args.mode == "both" else [args.mode]
        rows, ok = [], True
        for mode in modes:
            wsdl_before = sim.stats.snapshot()["other"].get("wsdl", 0)
            result = run_function(args, numbers) if mode == "function" else run_endpoint(args, numbers)
            wsdl = sim.stats.snapshot()["other"].get("wsdl", 0) - wsdl_before
            ok = ok and set(result["statuses"]) == {"valid"}
            if result["queries"] is not None:  # issue #13: at most ten statements for a number already stored
                ok = ok and max(result["queries"]["known"], default=0) <= MAX_STATEMENTS
            ms = result["ms"]
            rows.append((
                "verify_vat()" if mode == "function" else "POST /verify/",
                args.threads if mode == "function" else 1,
                ms["n"], result["first_ms"], ms["p50"], ms["p95"], ms["p99"], ms["max"], result["per_second"],
                result["registry_ms"]["p50"],
                _statements(result["queries"]),
                wsdl,
                ", ".join(f"{k} {v}" for k, v in sorted(result["statuses"].items())),
            ))  # fmt: skip
        common.heading("latency of one verification (ms)")
        common.table(
            rows,
            [
                "what", "threads", "calls", "first", "p50", "p95", "p99", "max", "calls/s", "VIES p50",
                "SQL known / new number (max)", "WSDL GETs", "verdicts",
            ],
        )  # fmt: skip
        total_wsdl = sim.stats.snapshot()["other"].get("wsdl", 0)
        print(
            f"\nfirst: the cold call (WSDL fetched and parsed, connections opened). VIES p50: the SOAP round trip "
            f"as the client timed it. SQL: statements of one request as PostgreSQL receives them, BEGIN and "
            f"COMMIT included.\nWSDL GETs at the simulator for this whole process: {total_wsdl} "
            f"({'loaded once' if total_wsdl == 1 else 'NOT once'})"
        )
        common.reset_data()
        return 0 if ok and total_wsdl == 1 else 1
    finally:
        sim.stop()


if __name__ == "__main__":
    sys.exit(main())
