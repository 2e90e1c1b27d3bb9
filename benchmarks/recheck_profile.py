"""Where a re-check's CPU goes: N re-checks in this one process against the simulator, under cProfile.

    python -m benchmarks.recheck_profile --count 300             # the top functions by own and cumulative time
    python -m benchmarks.recheck_profile --count 300 --no-profile  # only the CPU ms per re-check

The same path as a worker's task (`monitoring.recheck` run in this thread: Celery's own machinery
excluded), counterparties spread over three member states, the simulator answering at once in a thread
of this process. The CPU time printed is this thread's (`time.thread_time`), so the simulator's own work
is not in it; the profile, too, sees only this thread. Profiling roughly doubles the time measured:
compare runs of one kind.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/recheck_profile.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300, help="re-checks profiled (after a warm-up of 20)")
    parser.add_argument("--states", default="BE,DE,NL", help=f"of {sorted(common.VAT_MAKERS)}")
    parser.add_argument("--no-profile", action="store_true", help="time only, without cProfile")
    parser.add_argument("--top", type=int, default=40, help="rows of each profile table")
    common.add_service_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with common.simulator_and_django(args) as sim:
        from benchmarks.recheck_throughput import seed
        from monitoring.models import RunTrigger
        from monitoring.services import run_fan_out, run_start
        from monitoring.tasks import monitoring_recheck

        states = [s.strip().upper() for s in args.states.split(",") if s.strip()]
        total = args.count + 20
        population = [states[n % len(states)] for n in range(total)]
        for n, state in enumerate(population):
            sim.registry.add(common.VAT_MAKERS[state](n), f"Supplier {n}", f"Street {n}\n1000 City")
        common.reset_data()
        common.clear_limiter()
        seed(argparse.Namespace(workspaces=2), population)
        run = run_fan_out(run=run_start(trigger=RunTrigger.COMMAND), dispatch=lambda run, ids: None)
        ids = list(run.rechecks.order_by("id").values_list("counterparty_id", flat=True))
        warm, measured = ids[:20], ids[20:-1]  # the last one ends the run: not a steady re-check
        for counterparty_id in warm:
            monitoring_recheck.run(run.pk, counterparty_id)
        profiler = None if args.no_profile else cProfile.Profile(time.thread_time)  # CPU, not waits
        started, started_cpu = time.perf_counter(), time.thread_time()
        if profiler:
            profiler.enable()
        for counterparty_id in measured:
            monitoring_recheck.run(run.pk, counterparty_id)
        if profiler:
            profiler.disable()
        cpu, wall = time.thread_time() - started_cpu, time.perf_counter() - started
        print(f"re-check profile: {common.machine()}")
        print(f"{len(measured)} re-checks: {1000 * cpu / len(measured):.2f} ms CPU (this thread) and "
              f"{1000 * wall / len(measured):.2f} ms wall each{' (profiled)' if profiler else ''}")  # fmt: skip
        if profiler:
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
                print(out.getvalue())
        common.reset_data()
        return 0


if __name__ == "__main__":
    sys.exit(main())
