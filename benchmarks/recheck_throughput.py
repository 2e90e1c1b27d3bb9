"""Re-check throughput: M due counterparties re-checked by real Celery workers against the registry simulator.

    python -m benchmarks.recheck_throughput                  # the three scenarios below
    python -m benchmarks.recheck_throughput --quick          # the same, smaller
    python -m benchmarks.recheck_throughput --scenario custom --pool prefork --concurrency 2,8 --latency-ms 0,100

Scenarios (issue #13, point 1 and 4):
- ``nightly``: numbers over 3 member states, 5 slots each, 100 ms per call: the share of the registry's
  ceiling (slots x states / round trip) the wave reaches;
- ``cpu``: numbers over 10 member states, an instant registry: what these cores do, with the CPU time
  of a re-check (the workers' own, and the simulator's);
- ``adaptive``: the simulator refuses above a cap per state (2, 5, 12) that the client does not know;
  the limiter starts at 5 and learns: the share of the true ceiling reached and the calls refused.

For each configuration: fresh rows, worker subprocesses (`celery -A vatcrm worker`) sharing the Redis
registry limit, the production fan-out (run_start + run_fan_out, real dispatch to Redis), then wait for the
run to finish. The simulator runs in this process (a thread) and counts, at the server, the highest number
of requests in flight per member state and the requests it refused.
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


SCENARIOS: dict[str, dict[str, Any]] = {
    "nightly": {"states": "BE,DE,NL", "latency_ms": "100", "limit": 5, "high": 5, "pool": "threads",
                "concurrency": "24", "workers": 2, "count": 3_000},
    "cpu": {"states": "BE,DE,NL,IT,LU,AT,DK,FI,PL,SE", "latency_ms": "0", "limit": 5, "high": 5,
            "pool": "threads", "concurrency": "8", "workers": 2, "count": 4_000},
    "adaptive": {"states": "BE,DE,NL", "caps": "BE=2,DE=5,NL=12", "latency_ms": "250", "limit": 5, "high": 20,
                 "pool": "threads", "concurrency": "32", "workers": 2, "count": 3_000},
}  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--scenario", default="nightly,cpu,adaptive", help=f"comma-separated, of {sorted(SCENARIOS)} or 'custom'"
    )
    parser.add_argument("--count", type=int, default=None, help="due counterparties per configuration (M)")
    parser.add_argument("--concurrency", default=None, help="worker concurrencies to try, comma-separated")
    parser.add_argument("--latency-ms", default=None, help="simulator latencies per SOAP call, comma-separated")
    parser.add_argument("--pool", choices=["prefork", "threads"], default=None, help="Celery worker pool")
    parser.add_argument("--workers", type=int, default=None, help="worker processes, each with --concurrency")
    parser.add_argument("--limit", type=int, default=None, help="REGISTRY_MAX_IN_FLIGHT_PER_STATE (production: 5)")
    parser.add_argument("--high", type=int, default=None, help="REGISTRY_MAX_IN_FLIGHT: the learned window's bound")
    parser.add_argument("--caps", default=None, help="simulator caps per state, e.g. BE=2,DE=5 (unknown to the client)")
    parser.add_argument("--states", default=None, help=f"member states of the numbers, of {sorted(common.VAT_MAKERS)}")
    parser.add_argument("--workspaces", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on one configuration after this (s)")
    parser.add_argument("--quick", action="store_true", help="a third of the counterparties")
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.scenario.split(",") if name.strip()]
    unknown = set(names) - set(SCENARIOS) - {"custom"}
    if unknown:
        parser.error(f"unknown scenario(s) {sorted(unknown)}")
    custom = {"states": "BE", "latency_ms": "0,100", "limit": 5, "high": 5, "pool": "prefork", "concurrency": "2,8",
              "workers": 1, "count": 2_000}  # fmt: skip
    args.scenarios = []
    for name in names:
        preset = dict(SCENARIOS.get(name, custom))
        for key in ("count", "concurrency", "latency_ms", "pool", "workers", "limit", "high", "caps", "states"):
            if getattr(args, key) is not None:
                preset[key] = getattr(args, key)
        preset["name"] = name
        preset["count"] = preset["count"] // 3 if args.quick else preset["count"]
        preset["concurrencies"] = [int(c) for c in str(preset["concurrency"]).split(",") if c.strip()]
        preset["latencies"] = [float(ms) for ms in str(preset["latency_ms"]).split(",") if ms.strip()]
        preset["state_list"] = [s.strip().upper() for s in preset["states"].split(",") if s.strip()]
        parts = (part.partition("=") for part in (preset.get("caps") or "").split(","))
        preset["cap_map"] = {cc.strip().upper(): int(n) for cc, _, n in parts if n}
        if not set(preset["state_list"]) <= set(common.VAT_MAKERS):
            parser.error(f"--states must be among {sorted(common.VAT_MAKERS)}")
        if preset["count"] < 1 or preset["limit"] < 1 or not preset["concurrencies"] or not preset["latencies"]:
            parser.error("sizes must be positive")
        args.scenarios.append(preset)
    return args


def population(scenario: dict[str, Any]) -> list[str]:
    """The member state of each counterparty: round robin, or in proportion to the caps when there are caps
    (so that every state's share of the wave takes as long: the true ceiling is then the sum of the caps)."""
    states = scenario["state_list"]
    caps = scenario["cap_map"]
    pattern = [cc for cc in states for _ in range(caps.get(cc, 1))] if caps else states
    return [pattern[n % len(pattern)] for n in range(scenario["count"])]


def seed(args: argparse.Namespace, states: list[str]) -> None:
    """Monitored counterparties, all due, with a baseline already known (a normal night, not a first one)."""
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
                vat_number=common.VAT_MAKERS[state](n),
                country_code=state,
                name=f"Supplier {n}",
                registered_name=f"Supplier {n}",
                status=CheckStatus.VALID,
                monitoring=MonitoringFrequency.DAILY,
                next_check_due_at=now - timedelta(minutes=5, seconds=n),  # the fan-out order mixes the states
            )
            for n, state in enumerate(states)
        ),
        batch_size=2_000,
    )
    common.analyze()


class Worker:
    """`celery -A vatcrm worker` in its own session, so that stopping it reaches its pool processes too."""

    def __init__(self, pool: str, concurrency: int, env: dict[str, str], log: Path, index: int = 0) -> None:
        self.hostname = f"bench-{os.getpid()}-{concurrency}-{index}@localhost"
        command = [
            sys.executable, "-m", "celery", "-A", "vatcrm", "worker",
            "--pool", pool, "--concurrency", str(concurrency), "--hostname", self.hostname,
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
                self.log.flush()
                tail = Path(self.log.name).read_text()[-3000:]
                raise RuntimeError(f"the worker exited with {self.process.returncode}:\n{tail}")
            if app.control.ping(destination=[self.hostname], timeout=0.5):
                return
        raise RuntimeError(f"the worker did not answer a ping within {timeout:.0f} s; see {self.log.name}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of every process of the worker's session: the pool children too."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.process.pid:  # field 6, the session id, after the command name
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

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
    args: argparse.Namespace, scenario: dict[str, Any], sim: Any, concurrency: int, latency_ms: float, logs: Path
) -> dict[str, Any]:
    from monitoring.models import MonitoringRun, RunTrigger
    from monitoring.services import run_fan_out, run_start

    common.reset_data()
    common.clear_limiter()
    common.purge_queue()
    states = population(scenario)
    seed(args, states)
    sim.set_latency(latency_ms or None)
    sim.faults.configure(max_concurrent_by_ms=scenario["cap_map"])
    env = common.child_environment(args, **limiter_settings(scenario, sim))
    name = f"{scenario['name']}-c{concurrency}-{latency_ms:g}ms"
    workers = [
        Worker(scenario["pool"], concurrency, env, logs / f"worker-{name}-{i}.log", i)
        for i in range(scenario["workers"])
    ]
    try:
        for worker in workers:
            worker.wait_ready()
        sim.stats.reset()  # after the ping: count only the run's traffic (WSDL loads included)
        cpu_before = sum(worker.cpu_seconds() for worker in workers)
        sim_cpu_before = time.process_time()  # this process: the simulator's threads (and the polling)
        run = run_start(trigger=RunTrigger.COMMAND)
        fan_out = common.Stopwatch()
        run_fan_out(run=run)  # the production dispatch: monitoring.recheck messages on Redis, a chunk at a time
        fan_out_seconds = fan_out()
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            run = MonitoringRun.objects.get(pk=run.pk)
            if run.finished_at is not None:
                break
            time.sleep(0.2)
        cpu = sum(worker.cpu_seconds() for worker in workers) - cpu_before
        sim_cpu = time.process_time() - sim_cpu_before
        windows = learned_windows(scenario)
    finally:
        for worker in workers:
            worker.stop()
        leftover = common.purge_queue()
    result = collect(run, sim.stats.snapshot(), fan_out_seconds, leftover)
    result.update(cpu=cpu, sim_cpu=sim_cpu, windows=windows, states=states)
    return result


def limiter_settings(scenario: dict[str, Any], sim: Any) -> dict[str, str]:
    return {
        "VIES_WSDL_URL": sim.wsdl_url,
        "VIES_SERVICE_URL": sim.service_url,
        "REGISTRY_SIMULATOR_URL": sim.base_url,
        "REGISTRY_MAX_IN_FLIGHT_PER_STATE": str(scenario["limit"]),
        "REGISTRY_MAX_IN_FLIGHT": str(scenario["high"]),
    }


def learned_windows(scenario: dict[str, Any]) -> dict[str, float]:
    """The window each state's key holds in Redis at the end (what every worker uses next)."""
    client = common.redis_client()
    windows = {}
    for cc in scenario["state_list"]:
        stored = client.hget(f"vatcrm:registry:window:vies:{cc}", "w")
        windows[cc] = float(stored) if stored is not None else float(scenario["limit"])
    return windows


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
    refused = sum(outcomes.get("MS_MAX_CONCURRENT_REQ", 0) for outcomes in stats["by_operation"].values())
    return {
        "run": run,
        "done": run.checked + run.unverified + run.skipped,
        "finished": run.finished_at is not None,
        "seconds": (end - run.started_at).total_seconds(),
        "fan_out_seconds": fan_out_seconds,
        "check_ms": common.latency_summary(durations),
        "registry_ms": common.latency_summary(latencies),
        "rate_limited": registry.filter(error_code="RATE_LIMITED").count(),
        "refused": refused,
        "stats": stats,
        "leftover": leftover,
    }


def statements_per_recheck(sim: Any, sizes: tuple[int, ...] = (20, 200)) -> dict[int, list[int]]:
    """SQL statements of each re-check, in this process (no worker), for waves of two sizes."""
    from monitoring.models import RunTrigger
    from monitoring.services import counterparty_recheck, run_fan_out, run_start

    sim.set_latency(None)
    sim.faults.configure(max_concurrent_by_ms={})
    counts: dict[int, list[int]] = {}
    for size in sizes:
        common.reset_data()
        common.clear_limiter()
        seed(argparse.Namespace(workspaces=2), ["BE"] * size)
        run = run_start(trigger=RunTrigger.COMMAND)
        run_fan_out(run=run, dispatch=lambda run, ids: None)  # claimed; the messages are not sent
        counts[size] = []
        for counterparty_id in run.rechecks.order_by("id").values_list("counterparty_id", flat=True):
            with common.count_queries() as queries:
                counterparty_recheck(run_id=run.pk, counterparty_id=counterparty_id)
            counts[size].append(sum(queries.values()))
    return counts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from verification.simulator import Registry, SimulatorServer

    sim = SimulatorServer(Registry.default()).start()  # before Django: its address goes into the settings
    try:
        common.setup_django(args, **limiter_settings(args.scenarios[0], sim))
        total = max(scenario["count"] for scenario in args.scenarios)
        for cc in common.VAT_MAKERS:
            for n in range(max(total, 200)):
                sim.registry.add(common.VAT_MAKERS[cc](n), f"Supplier {n}", f"Street {n}\n1000 City")
        print(f"re-check throughput benchmark: {common.machine()}")
        results = []
        with tempfile.TemporaryDirectory(prefix="vatcrm-bench-") as logs:
            for scenario in args.scenarios:
                for latency_ms in scenario["latencies"]:
                    for concurrency in scenario["concurrencies"]:
                        print(f"  ... {scenario['name']}: concurrency {concurrency}, {latency_ms:g} ms", flush=True)
                        result = one_configuration(args, scenario, sim, concurrency, latency_ms, Path(logs))
                        results.append((scenario, concurrency, latency_ms, result))
                        if not result["finished"]:
                            for log in Path(logs).glob("worker-*.log"):
                                print(log.read_text()[-3000:], file=sys.stderr)
        statements = statements_per_recheck(sim)
        report(results, statements)
        common.reset_data()
        return 0 if all(r["finished"] and r["done"] == s["count"] for s, _, _, r in results) else 1
    finally:
        sim.stop()


def ceiling(scenario: dict[str, Any], states: list[str], round_trip_ms: float) -> float | None:
    """Re-checks per second the registry allows this population: it ends when its slowest state's share does."""
    if not round_trip_ms:
        return None
    slots = {cc: min(scenario["cap_map"].get(cc, scenario["high"]), scenario["high"]) for cc in set(states)}
    slowest = max(states.count(cc) * round_trip_ms / 1000 / slots[cc] for cc in slots)
    return len(states) / slowest


def report(results: list[tuple[dict[str, Any], int, float, dict[str, Any]]], statements: dict[int, list[int]]) -> None:
    common.heading("re-checks through real Celery workers (the registry simulator in this process)")
    rows = []
    for scenario, concurrency, latency_ms, r in results:
        rate = r["done"] / r["seconds"] if r["seconds"] else 0.0
        stats = r["stats"]
        per_state = ", ".join(f"{cc} {n}" for cc, n in stats["max_concurrent_by_country"].items())
        round_trip = r["registry_ms"]["p50"]
        at_latency = ceiling(scenario, r["states"], latency_ms)
        at_round_trip = ceiling(scenario, r["states"], round_trip)
        requests = max(1, stats["requests"])
        rows.append((
            scenario["name"],
            f"{scenario['workers']}x {scenario['pool']} {concurrency}",
            f"{len(scenario['state_list'])}",
            f"{latency_ms:g}",
            f"{r['done']:,}/{scenario['count']:,}" + ("" if r["finished"] else " (timeout)"),
            r["seconds"],
            rate,
            f"{at_round_trip:,.0f} ({100 * rate / at_round_trip:.0f}%)" if at_round_trip else "-",
            f"{at_latency:,.0f} ({100 * rate / at_latency:.0f}%)" if at_latency else "-",
            f"{1000 * r['cpu'] / max(1, r['done']):.1f} + {1000 * r['sim_cpu'] / max(1, r['done']):.1f}",
            f"{r['check_ms']['p50']:.0f} / {r['check_ms']['p95']:.0f} / {r['check_ms']['max']:.0f}",
            f"{round_trip:.0f}",
            per_state,
            f"{r['refused']} ({100 * r['refused'] / requests:.2f}%)",
            r["rate_limited"],
            ", ".join(f"{cc} {w:.1f}" for cc, w in r["windows"].items()),
        ))  # fmt: skip
    common.table(
        rows,
        [
            "scenario", "workers", "states", "latency ms", "re-checked", "wall s", "re-checks/s",
            "ceiling/s (round trip)", "ceiling/s (latency)", "CPU ms/re-check (workers + sim)", "check p50/p95/max ms",
            "VIES p50 ms", "max in flight/state", "refused (MS_MAX_CONCURRENT_REQ)", "RATE_LIMITED", "learned windows",
        ],
    )  # fmt: skip
    print(
        "\nwall s: run start to its last re-check (the fan-out overlaps). ceiling/s: what the registry allows this"
        "\npopulation, its slowest state's share at slots (or the simulator's cap) per round trip: measured VIES p50,"
        "\nor the simulator's latency. CPU: the worker processes' own time, and the simulator's (this process),"
        "\nper re-check. max in flight/state: measured at the simulator. learned windows: in Redis at the end."
    )
    common.heading("SQL statements per re-check (in this process, nothing changed, no retry)")
    for size, counts in statements.items():
        steady = counts[:-1] or counts
        print(f"wave of {size}: {min(steady)}-{max(steady)} per re-check; the last (it ends the run): {counts[-1]}")
    for scenario, concurrency, _, r in results:
        if r["leftover"]:
            print(f"note: {r['leftover']} messages were still queued after {scenario['name']} c={concurrency} (purged)")


if __name__ == "__main__":
    sys.exit(main())
