"""Re-check throughput: M due counterparties re-checked by a real Celery worker against the registry simulator.

    python -m benchmarks.recheck_throughput                            # 2,000 x {concurrency 2, 8} x {0, 100 ms}
    python -m benchmarks.recheck_throughput --quick                    # 300 per configuration
    python -m benchmarks.recheck_throughput --pool threads --concurrency 16 --latency-ms 300 --states BE,DE,NL

For each configuration: fresh rows, a worker subprocess (`celery -A vatcrm worker`, prefork by default, so
several processes share the Redis registry limit), the production fan-out (run_start + run_fan_out, real
dispatch to Redis), then wait for the run to finish. The simulator runs in this process (a thread) and counts,
at the server, the highest number of requests in flight per member state: the figure that the shared
REGISTRY_MAX_IN_FLIGHT_PER_STATE must keep down whatever the number of worker processes.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/recheck_throughput.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

NIGHT = 100_000  # issue #4: "a wave of 100,000 counterparties is a normal night"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2_000, help="due counterparties per configuration (M)")
    parser.add_argument("--concurrency", default="2,8", help="worker concurrencies to try, comma-separated")
    parser.add_argument("--latency-ms", default="0,100", help="simulator latencies per SOAP call, comma-separated")
    parser.add_argument("--pool", choices=["prefork", "threads"], default="prefork", help="Celery worker pool")
    parser.add_argument("--limit", type=int, default=5, help="REGISTRY_MAX_IN_FLIGHT_PER_STATE (production: 5)")
    parser.add_argument("--states", default="BE", help=f"member states of the numbers, of {sorted(common.VAT_MAKERS)}")
    parser.add_argument("--workspaces", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on one configuration after this (s)")
    parser.add_argument("--quick", action="store_true", help="M=300")
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.count = min(args.count, 300)
    args.concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    args.latencies = [float(ms) for ms in args.latency_ms.split(",") if ms.strip()]
    args.state_list = [s.strip().upper() for s in args.states.split(",") if s.strip()]
    if not set(args.state_list) <= set(common.VAT_MAKERS):
        parser.error(f"--states must be among {sorted(common.VAT_MAKERS)}")
    if args.count < 1 or args.limit < 1 or not args.concurrencies or not args.latencies:
        parser.error("sizes must be positive")
    return args


def seed(args: argparse.Namespace) -> None:
    """M monitored counterparties, all due, with a baseline already known (a normal night, not a first one)."""
    from django.utils import timezone

    from crm.models import CheckStatus, Company, Counterparty, MonitoringFrequency, Workspace

    now = timezone.now()
    workspaces = Workspace.objects.bulk_create(
        Workspace(name=f"Bench workspace {w}", slug=f"bench-{w}") for w in range(args.workspaces)
    )
    Company.objects.bulk_create(Company(workspace=w, name="Requester Ltd", vat_number="IE6388047V") for w in workspaces)
    Counterparty.objects.bulk_create(
        (
            Counterparty(
                workspace=workspaces[n % len(workspaces)],
                vat_number=common.vat_number(args.state_list, n),
                country_code=args.state_list[n % len(args.state_list)],
                name=f"Supplier {n}",
                registered_name=f"Supplier {n}",
                status=CheckStatus.VALID,
                monitoring=MonitoringFrequency.DAILY,
                next_check_due_at=now - timedelta(minutes=5, seconds=n),  # the fan-out order mixes the states
            )
            for n in range(args.count)
        ),
        batch_size=2_000,
    )
    common.analyze()


class Worker:
    """`celery -A vatcrm worker` in its own session, so that stopping it reaches its pool processes too."""

    def __init__(self, args: argparse.Namespace, concurrency: int, env: dict[str, str], log: Path) -> None:
        self.hostname = f"bench-{os.getpid()}-{concurrency}@localhost"
        command = [
            sys.executable, "-m", "celery", "-A", "vatcrm", "worker",
            "--pool", args.pool, "--concurrency", str(concurrency), "--hostname", self.hostname,
            "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.log = log.open("w")
        self.process = subprocess.Popen(
            command, cwd=common.ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        from vatcrm.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited with {self.process.returncode}; see {self.log.name}")
            if app.control.ping(destination=[self.hostname], timeout=0.5):
                return
        raise RuntimeError(f"the worker did not answer a ping within {timeout:.0f} s; see {self.log.name}")

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL to the worker's own process group if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def one_configuration(
    args: argparse.Namespace, sim: Any, concurrency: int, latency_ms: float, env: dict[str, str], logs: Path
) -> dict[str, Any]:
    from monitoring.models import MonitoringRun, RunTrigger
    from monitoring.services import run_fan_out, run_start

    common.reset_data()
    common.clear_limiter()
    common.purge_queue()
    seed(args)
    sim.set_latency(latency_ms or None)
    worker = Worker(args, concurrency, env, logs / f"worker-c{concurrency}-{latency_ms:g}ms.log")
    try:
        worker.wait_ready()
        sim.stats.reset()  # after the ping: count only the run's traffic (WSDL loads included)
        run = run_start(trigger=RunTrigger.COMMAND)
        fan_out = common.Stopwatch()
        run_fan_out(run=run)  # the production dispatch: one monitoring.recheck message each, on Redis
        fan_out_seconds = fan_out()
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            run = MonitoringRun.objects.get(pk=run.pk)
            if run.finished_at is not None:
                break
            time.sleep(0.2)
    finally:
        worker.stop()
        leftover = common.purge_queue()
    return collect(run, sim.stats.snapshot(), fan_out_seconds, leftover)


def collect(run: Any, stats: dict[str, Any], fan_out_seconds: float, leftover: int) -> dict[str, Any]:
    """The run's totals, the checks' own timings from the database, the simulator's counters."""
    from crm.models import CheckResult, VerificationCheck
    from monitoring.services import run_key_prefix

    checks = VerificationCheck.objects.filter(idempotency_key__startswith=run_key_prefix(run.pk))
    durations = [
        (finished - started).total_seconds() * 1000
        for started, finished in checks.values_list("started_at", "finished_at")
    ]
    registry = CheckResult.objects.filter(check_run__in=checks, service="vies")
    latencies = [float(ms) for ms in registry.exclude(latency_ms=None).values_list("latency_ms", flat=True)]
    end = run.finished_at or max(checks.values_list("finished_at", flat=True), default=run.started_at)
    return {
        "run": run,
        "done": run.checked + run.unverified + run.skipped,
        "finished": run.finished_at is not None,
        "seconds": (end - run.started_at).total_seconds(),
        "fan_out_seconds": fan_out_seconds,
        "check_ms": common.latency_summary(durations),
        "registry_ms": common.latency_summary(latencies),
        "rate_limited": registry.filter(error_code="RATE_LIMITED").count(),
        "stats": stats,
        "leftover": leftover,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from verification.simulator import Registry, SimulatorServer

    sim = SimulatorServer(Registry.default()).start()  # before Django: its address goes into the settings
    try:
        extra = {
            "VIES_WSDL_URL": sim.wsdl_url,
            "VIES_SERVICE_URL": sim.service_url,
            "REGISTRY_SIMULATOR_URL": sim.base_url,
            "REGISTRY_MAX_IN_FLIGHT_PER_STATE": str(args.limit),
        }
        common.setup_django(args, **extra)
        env = common.child_environment(args, **extra)
        for n in range(args.count):
            sim.registry.add(common.vat_number(args.state_list, n), f"Supplier {n}", f"Street {n}\n1000 City")
        print(f"re-check throughput benchmark: {common.machine()}")
        print(
            f"{args.count:,} due counterparties ({','.join(args.state_list)}), {args.pool} worker, "
            f"REGISTRY_MAX_IN_FLIGHT_PER_STATE={args.limit}, simulator in this process"
        )
        results = []
        with tempfile.TemporaryDirectory(prefix="vatcrm-bench-") as logs:
            for latency_ms in args.latencies:
                for concurrency in args.concurrencies:
                    print(f"  ... concurrency {concurrency}, {latency_ms:g} ms", flush=True)
                    result = one_configuration(args, sim, concurrency, latency_ms, env, Path(logs))
                    results.append((concurrency, latency_ms, result))
                    if not result["finished"]:
                        log = Path(logs) / f"worker-c{concurrency}-{latency_ms:g}ms.log"
                        print(log.read_text()[-3000:], file=sys.stderr)
        report(args, results)
        common.reset_data()
        return 0 if all(r["finished"] and r["done"] == args.count for _, _, r in results) else 1
    finally:
        sim.stop()


def report(args: argparse.Namespace, results: list[tuple[int, float, dict[str, Any]]]) -> None:
    common.heading(f"re-checks of {args.count:,} due counterparties through a {args.pool} worker")
    rows = []
    for concurrency, latency_ms, r in results:
        rate = r["done"] / r["seconds"] if r["seconds"] else 0.0
        stats = r["stats"]
        per_state = ", ".join(f"{cc} {n}" for cc, n in stats["max_concurrent_by_country"].items())
        cap = args.limit * len(args.state_list) * 1000 / latency_ms if latency_ms else None
        rows.append((
            concurrency,
            f"{latency_ms:g}",
            f"{r['done']:,}/{args.count:,}" + ("" if r["finished"] else " (timeout)"),
            r["seconds"],
            rate,
            f"{cap:,.0f}" if cap else "-",
            NIGHT / rate / 3600 if rate else float("inf"),
            f"{r['check_ms']['p50']:.0f} / {r['check_ms']['p95']:.0f} / {r['check_ms']['max']:.0f}",
            f"{r['registry_ms']['p50']:.0f}",
            per_state,
            stats["other"].get("wsdl", 0),
            r["rate_limited"],
            r["run"].unverified,
        ))  # fmt: skip
    common.table(
        rows,
        [
            "conc", "latency ms", "re-checked", "wall s", "re-checks/s", "limit cap/s", "h per 100k",
            "check p50/p95/max ms", "VIES p50 ms", "max in flight/state", "WSDL GETs", "RATE_LIMITED", "unverified",
        ],
    )  # fmt: skip
    print(
        "\nwall s: run start to its last re-check (the fan-out overlaps). limit cap/s: limit x states / latency, the"
        "\nmost the shared per-state limit lets through. check ms: from the re-check's start to its stored result"
        "\n(waiting for a registry slot included). max in flight/state: measured at the simulator, must be <= "
        f"{args.limit}."
    )
    worst = max((max(r["stats"]["max_concurrent_by_country"].values(), default=0) for _, _, r in results), default=0)
    print(
        f"shared limit held across worker processes: {'yes' if worst <= args.limit else 'NO'} "
        f"(highest per-state concurrency seen {worst}, limit {args.limit})"
    )
    alerts = sum(r["run"].alerts for _, _, r in results)
    print(f"alerts raised: {alerts} (the registry agrees with every baseline: a quiet night, no notifications)")
    for concurrency, latency_ms, r in results:
        if r["leftover"]:
            print(f"note: {r['leftover']} messages were still queued after c={concurrency} {latency_ms:g} ms (purged)")


if __name__ == "__main__":
    sys.exit(main())
