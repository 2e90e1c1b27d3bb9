"""The nightly fan-out at scale: claim N due counterparties on PostgreSQL and publish N messages to Redis.

    python -m benchmarks.monitoring_fanout                 # 100,000 due (+ 40,000 not due), all workspaces
    python -m benchmarks.monitoring_fanout --quick         # 10,000 due: a smoke run in a few seconds
    python -m benchmarks.monitoring_fanout --count 200000 --chunk-size 1000

What runs is the production path: monitoring.services.run_start() and run_fan_out() with the default
dispatch (enqueue_rechecks: one monitoring.recheck message per counterparty, a chunk in one LPUSH to the
Redis broker). No worker consumes them; the queue is counted, then purged. Then a sample of messages is
published both ways in the same process, one apply_async each (the way before) and a chunk at a time,
for the ratio: wall time and CPU time (the CPU time is the figure a busy shared machine disturbs least).

Seeding happens in this process; the measurement in a fresh child process (`--measure`), so that its peak
RSS is the fan-out's and not the seeding's (ru_maxrss only ever grows).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/monitoring_fanout.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

BATCH = 5_000  # rows per bulk_create: bulk_create lists its whole input, so feed it in slices


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="monitored counterparties due now (N)")
    parser.add_argument("--not-due", type=int, default=None, help="monitored but due later today (default N/5)")
    parser.add_argument("--off", type=int, default=None, help="not monitored at all (default N/5)")
    parser.add_argument("--workspaces", type=int, default=5, help="tenants the counterparties are spread over")
    parser.add_argument("--weekly-share", type=float, default=0.2, help="share of monitored ones checked weekly")
    parser.add_argument("--chunk-size", type=int, default=None, help="MONITORING_CHUNK_SIZE (default: setting, 500)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--keep-data", action="store_true", help="leave the seeded rows in the database")
    parser.add_argument("--sample", type=int, default=10_000, help="messages published both ways for the ratio")
    parser.add_argument("--quick", action="store_true", help="N=10,000: seconds instead of minutes")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the measuring child
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.count = min(args.count, 10_000)
    args.not_due = args.count // 5 if args.not_due is None else args.not_due
    args.off = args.count // 5 if args.off is None else args.off
    if min(args.count, args.not_due, args.off) < 0 or args.workspaces < 1:
        parser.error("sizes must be positive")
    return args


# --- seeding (parent) ---------------------------------------------------------------------------------------
def seed(args: argparse.Namespace) -> float:
    """N due (due times spread over the last day), some due later, some off; returns seconds taken."""
    from django.utils import timezone

    from crm.models import CheckStatus, Company, Counterparty, MonitoringFrequency, Workspace

    clock = common.Stopwatch()
    rng = random.Random(4)
    now = timezone.now()
    workspaces = Workspace.objects.bulk_create(
        Workspace(name=f"Bench workspace {w}", slug=f"bench-{w}") for w in range(args.workspaces)
    )
    Company.objects.bulk_create(Company(workspace=w, name="Requester Ltd", vat_number="IE6388047V") for w in workspaces)

    def counterparty(n: int) -> Counterparty:
        if n < args.count:  # due: a backlog of due times over the last day, like a real night
            due, frequency = now - timedelta(seconds=rng.uniform(60, 86_000)), None
        elif n < args.count + args.not_due:  # monitored, due in 1 to 22 hours: not in this run
            due, frequency = now + timedelta(seconds=rng.uniform(3_600, 80_000)), None
        else:
            due, frequency = None, MonitoringFrequency.OFF
        if frequency is None:
            weekly = rng.random() < args.weekly_share
            frequency = MonitoringFrequency.WEEKLY if weekly else MonitoringFrequency.DAILY
        vat = common.belgian_vat(n)
        return Counterparty(
            workspace=workspaces[n % len(workspaces)],
            vat_number=vat,
            country_code="BE",
            name=f"Supplier {n} NV",
            registered_name=f"Supplier {n} NV",
            status=CheckStatus.VALID,
            monitoring=frequency,
            next_check_due_at=due,
        )

    total = args.count + args.not_due + args.off
    for start in range(0, total, BATCH):
        Counterparty.objects.bulk_create(counterparty(n) for n in range(start, min(total, start + BATCH)))
    common.analyze()
    return clock()


# --- the measurement (child) --------------------------------------------------------------------------------
def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Fan out once (timed, queries counted), then a second time in the same window; report as a dict."""
    import tracemalloc

    from monitoring.models import MonitoringRun, RunTrigger
    from monitoring.services import enqueue_rechecks, run_fan_out, run_start
    from monitoring.services.runs import due_for_claim

    rss_before = common.rss_mb()
    redis = common.redis_client()
    redis_before = int(redis.info("memory")["used_memory"])
    plan = _claim_plan(due_for_claim, MonitoringRun, args)

    publish: list[tuple[float, float, int]] = []  # (start, end, messages) of each chunk's dispatch

    def timed_dispatch(run: MonitoringRun, ids: list[int]) -> None:
        started = time.perf_counter()
        enqueue_rechecks(run, ids)  # the real dispatch: one apply_async per counterparty, then the counter
        publish.append((started, time.perf_counter(), len(ids)))

    if args.tracemalloc:
        tracemalloc.start()
    cpu_before = time.process_time()
    with common.count_queries() as queries:
        clock = common.Stopwatch()
        run = run_start(trigger=RunTrigger.COMMAND)
        start_seconds = clock()
        fan_out_started = time.perf_counter()
        run = run_fan_out(run=run, dispatch=timed_dispatch, chunk_size=args.chunk_size)
        total_seconds = clock()
    cpu_seconds = time.process_time() - cpu_before
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    tracemalloc.stop()

    # Claim time of a chunk = from the end of the previous chunk's publishing to the start of this one's.
    chunk_ms, previous_end = [], fan_out_started
    for started, ended, _ in publish:
        chunk_ms.append((started - previous_end) * 1000)
        previous_end = ended
    publish_seconds = sum(ended - started for started, ended, _ in publish)
    queued = common.queue_length()
    redis_after = int(redis.info("memory")["used_memory"])

    # The same window again: a duplicate beat message, an operator's run_monitoring. Nobody is due any more.
    clock = common.Stopwatch()
    again = run_fan_out(run=run_start(trigger=RunTrigger.COMMAND))
    again_seconds = clock()
    common.purge_queue()
    sample = _publish_both_ways(run, min(args.sample, args.count))
    common.purge_queue()
    return {
        "cpu_s": cpu_seconds,
        "sample": sample,
        "due": run.due,
        "enqueued": run.enqueued,
        "chunks": len(publish),
        "run_start_s": start_seconds,
        "total_s": total_seconds,
        "publish_s": publish_seconds,
        "claim_s": total_seconds - start_seconds - publish_seconds,
        "chunk_ms": common.latency_summary(chunk_ms),
        "chunk_first_last_ms": [chunk_ms[0], chunk_ms[-1]] if chunk_ms else [],
        "queries": dict(queries),
        "queued": queued,
        "redis_mb": (redis_after - redis_before) / 2**20,
        "rss_before_mb": rss_before,
        "peak_rss_mb": common.peak_rss_mb(),
        "traced_peak_mb": traced_peak,
        "again_due": again.due,
        "again_enqueued": again.enqueued,
        "again_s": again_seconds,
        "plan": plan,
    }


def _publish_both_ways(run: Any, count: int) -> dict[str, Any]:
    """The same `count` messages published one apply_async each, then a chunk (of 500) at a time."""
    from monitoring.publish import publish_tasks
    from monitoring.tasks import monitoring_recheck

    figures = {"count": count}
    for way in ("apply_async", "chunked"):
        wall, cpu = time.perf_counter(), time.process_time()
        if way == "apply_async":
            for n in range(count):
                monitoring_recheck.apply_async(args=[run.pk, n])
        else:
            for start in range(0, count, 500):
                publish_tasks(monitoring_recheck, [(run.pk, n) for n in range(start, min(count, start + 500))])
        figures[way] = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
        figures[way]["queued"] = common.purge_queue()
    return figures


def _claim_plan(due_for_claim: Any, run_model: Any, args: argparse.Namespace) -> str:
    """EXPLAIN ANALYZE of the first chunk's claim, rolled back: the planner's own choice, no hints."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    size = args.chunk_size or settings.MONITORING_CHUNK_SIZE
    with transaction.atomic():
        plan = due_for_claim(run_model(started_at=timezone.now()), size).explain(analyze=True, buffers=True)
        transaction.set_rollback(True)  # EXPLAIN ANALYZE took the row locks: give them back
    return plan


# --- orchestration (parent) ---------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure:
        common.setup_django(args, migrate=False)
        print(json.dumps(measure(args)))
        return 0
    common.setup_django(args)
    print(f"monitoring fan-out benchmark: {common.machine()}")
    common.reset_data()
    common.clear_limiter()
    dropped = common.purge_queue()
    total = args.count + args.not_due + args.off
    seconds = seed(args)
    print(
        f"seeded {total:,} counterparties over {args.workspaces} workspaces in {seconds:.1f} s "
        f"({total / seconds:,.0f} rows/s, bulk_create of {BATCH:,}): {args.count:,} due, "
        f"{args.not_due:,} due later, {args.off:,} off" + (f"; purged {dropped:,} stale messages" if dropped else "")
    )
    child = [sys.executable, "-m", "benchmarks.monitoring_fanout", "--measure", *_passed_on(args)]
    completed = subprocess.run(
        child, cwd=common.ROOT, env=common.child_environment(args), capture_output=True, text=True, timeout=3600
    )
    if completed.returncode != 0:
        print(completed.stdout, completed.stderr, sep="\n", file=sys.stderr)
        common.purge_queue()
        return 1
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    purged = common.purge_queue()
    report(args, result, purged)
    if not args.keep_data:
        common.reset_data()
    ok = result["enqueued"] == result["due"] == args.count and result["again_enqueued"] == 0
    return 0 if ok else 1


def _passed_on(args: argparse.Namespace) -> list[str]:
    passed = ["--database-url", args.database_url, "--redis-url", args.redis_url]
    if args.chunk_size:
        passed += ["--chunk-size", str(args.chunk_size)]
    if args.tracemalloc:
        passed.append("--tracemalloc")
    passed += ["--sample", str(args.sample)]
    return passed


def report(args: argparse.Namespace, r: dict[str, Any], purged: int) -> None:
    from django.conf import settings

    chunk = args.chunk_size or settings.MONITORING_CHUNK_SIZE
    n = r["enqueued"]
    queries = r["queries"]
    common.heading(f"fan-out of {r['due']:,} due counterparties (chunk {chunk}, {r['chunks']} chunks)")
    rows: list[tuple[str, Any, str]] = [
        ("run_start (prune + count due)", r["run_start_s"], "s"),
        ("claim: SELECT .. FOR NO KEY UPDATE, UPDATE, INSERT Recheck", r["claim_s"], "s"),
        ("publish: one LPUSH per chunk to Redis (+ dispatched mark)", r["publish_s"], "s"),
        ("total wall time", r["total_s"], "s"),
        ("CPU time of the fan-out process", r["cpu_s"], "s (PostgreSQL's and Redis's own not included)"),
        ("rows claimed per second (claim time only)", n / r["claim_s"] if r["claim_s"] else 0.0, "rows/s"),
        ("messages published per second (publish time only)", n / r["publish_s"] if r["publish_s"] else 0.0, "msg/s"),
        ("end to end per second", n / r["total_s"], "counterparties/s"),
        ("chunk claim time p50 / p95 / max", _triple(r["chunk_ms"]), "ms"),
        ("first chunk / last chunk claim time", " / ".join(f"{v:.1f}" for v in r["chunk_first_last_ms"]), "ms"),
        ("SQL statements", sum(queries.values()), ", ".join(f"{k} {v}" for k, v in sorted(queries.items()))),
        ("SQL statements per chunk", sum(queries.values()) / max(1, r["chunks"]), ""),
        ("messages in the queue afterwards (then purged)", r["queued"], f"purged {purged:,}"),
        ("Redis memory for them", r["redis_mb"], f"MiB ({r['redis_mb'] * 2**20 / max(1, n):,.0f} B/message)"),
        ("RSS after Django setup", r["rss_before_mb"], "MiB"),
        ("peak RSS of the fan-out process", r["peak_rss_mb"], "MiB (ru_maxrss)"),
    ]
    if r["traced_peak_mb"] is not None:
        rows.append(("peak traced Python allocations", r["traced_peak_mb"], "MiB (tracemalloc)"))
    rows.append(("second fan-out, same window: due / enqueued", f"{r['again_due']} / {r['again_enqueued']}", ""))
    rows.append(("second fan-out wall time", r["again_s"] * 1000, "ms"))
    common.table(rows, ["measure", "value", "unit"])
    print(f"\n100,000 counterparties at this end-to-end rate: {100_000 * r['total_s'] / n:.1f} s of fan-out")
    sample = r["sample"]
    one, chunked = sample["apply_async"], sample["chunked"]
    common.heading(f"publishing the same {sample['count']:,} messages both ways (this process, same run)")
    common.table(
        [
            ("one apply_async each", one["wall_s"], one["cpu_s"], sample["count"] / one["wall_s"], one["queued"]),
            (
                "a chunk of 500 per LPUSH",
                chunked["wall_s"],
                chunked["cpu_s"],
                sample["count"] / chunked["wall_s"],
                chunked["queued"],
            ),
        ],
        ["how", "wall s", "CPU s", "messages/s", "queued"],
    )
    print(
        f"chunked / apply_async: {one['wall_s'] / chunked['wall_s']:.1f}x faster (wall), "
        f"{one['cpu_s'] / chunked['cpu_s']:.1f}x less CPU"
    )
    common.heading("EXPLAIN (ANALYZE, BUFFERS) of the claim query (first chunk, rolled back)")
    print(r["plan"])
    uses_index = "counterparty_due_monitoring" in r["plan"]
    print(
        f"\npartial index counterparty_due_monitoring used: {'yes' if uses_index else 'NO'}; "
        f"sort node: {'YES' if 'Sort' in r['plan'] else 'no'}"
    )


def _triple(summary: dict[str, float]) -> str:
    return " / ".join(f"{summary[k]:.1f}" for k in ("p50", "p95", "max"))


if __name__ == "__main__":
    sys.exit(main())
