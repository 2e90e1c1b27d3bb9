"""Import speed and memory: the preview and the commit of a book, on PostgreSQL, as the Import page runs them.

    python -m benchmarks.import_speed                 # preview and commit of 10,000 rows, memory for 50,000
    python -m benchmarks.import_speed --quick         # 2,000 rows, memory for 10,000

Targets (issue: "bring a team's whole book in"): the preview of 10,000 rows under 5 s, the commit under
10 s, memory growth under 100 MB for 50,000 rows. The file is built in memory: a fifth of its numbers are
already in the CRM (half of those with a changed name), one row in fifty is a duplicate and one in fifty is
refused, the rest is new, with tags. The preview is what happens between the upload and the preview page:
`job_upload` (the request: the file stored, the reading's message published) and `job_read` (the Celery
worker's task: read, classify, store every row; called in this process); the commit `job_commit` (create,
update, tag, audit, cut into verification chunks). The messages are published to the benchmark's Redis and
purged afterwards, the verification itself is not measured here (it is paced
by the registry limit on purpose: docs/import.md). Memory is measured in a fresh child process: the growth
of its resident set over the whole preview and commit of the large file, and the peak of Python
allocations (tracemalloc) in a second run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/import_speed.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

TARGETS = {"preview": 5.0, "commit": 10.0, "memory": 100.0}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the timed file")
    parser.add_argument("--memory-rows", type=int, default=50_000, help="rows of the file whose memory is measured")
    parser.add_argument("--quick", action="store_true", help="2,000 rows timed, 10,000 for memory")
    parser.add_argument("--child", choices=["rss", "tracemalloc"], help=argparse.SUPPRESS)
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.memory_rows = min(args.rows, 2_000), min(args.memory_rows, 10_000)
    return args


def book(rows: int, *, existing: int, file_format: str) -> bytes:
    """A file of `rows` rows; numbers below `existing` are in the CRM already (see `seed`)."""
    from tests.imports.factories import HEADERS, csv_bytes, xlsx_bytes

    lines = []
    for n in range(rows):
        if n % 50 == 49:
            lines.append([f"DE{n:05d}", "Refused: too short", "", "", "", "", ""])
        elif n % 50 == 48:
            lines.append([common.belgian_vat(n - 1), "Duplicate of the row above", "", "", "", "", ""])
        else:
            name = f"Supplier {n} NV" if n >= existing or n % 2 else f"Supplier {n} NV renamed"
            lines.append(
                [common.belgian_vat(n), name, f"Rue {n}, 1000 Bruxelles", "BE", f"ERP-{n}", "supplier; BE", ""]
            )
    return csv_bytes(lines, delimiter=";") if file_format == "csv" else xlsx_bytes(lines, header=HEADERS)


def seed(existing: int):
    """A workspace, its owner and requester, and `existing` counterparties the file partly matches."""
    from django.contrib.auth import get_user_model

    from crm.models import Company, Counterparty
    from crm.services import workspace_create_for_user

    common.reset_data()
    user = get_user_model().objects.create_user("bench", "bench@example.com", "x")
    workspace = workspace_create_for_user(user=user, name="Import bench")
    Company.objects.create(workspace=workspace, name="Requester Ltd", vat_number="IE6388047V")
    Counterparty.objects.bulk_create(
        Counterparty(workspace=workspace, vat_number=common.belgian_vat(n), country_code="BE", name=f"Supplier {n} NV")
        for n in range(existing)
    )
    common.analyze()
    return workspace, user


def preview(workspace, user, data: bytes, file_format: str):
    """The upload as the Import page stores it, then the worker's read of it."""
    from django.core.files.base import ContentFile

    from imports.services import job_read, job_upload

    name = f"book.{file_format}"
    job = job_upload(workspace=workspace, user=user, upload=ContentFile(data, name=name), filename=name)
    return job_read(job_id=job.pk)


def timed(rows: int, file_format: str) -> dict:
    from imports.services import job_commit

    existing = rows // 5
    workspace, user = seed(existing)
    data = book(rows, existing=existing, file_format=file_format)
    # CPU seconds of this process besides wall time: on a shared machine the wall clock also counts the
    # time others' processes held the cores; PostgreSQL's own work is in the wall time only.
    with common.count_queries() as preview_queries:
        clock, cpu = common.Stopwatch(), time.process_time()
        job = preview(workspace, user, data, file_format)
        preview_seconds, preview_cpu = clock(), time.process_time() - cpu
    with common.count_queries() as commit_queries:
        clock, cpu = common.Stopwatch(), time.process_time()
        job = job_commit(job=job, user=user)
        commit, commit_cpu = clock(), time.process_time() - cpu
    common.purge_queue()
    return {
        "format": file_format,
        "rows": rows,
        "bytes": len(data),
        "preview": preview_seconds,
        "commit": commit,
        "preview_cpu": preview_cpu,
        "commit_cpu": commit_cpu,
        "counts": job.counts,
        "to_verify": job.to_verify,
        "preview_queries": sum(preview_queries.values()),
        "commit_queries": sum(commit_queries.values()),
    }


def memory_child(rows: int, mode: str) -> None:
    """In a fresh process: the preview and commit of a large file, and what they cost in memory."""
    import gc
    import tracemalloc

    from imports.services import job_commit

    existing = rows // 5
    workspace, user = seed(existing)
    data = book(rows, existing=existing, file_format="csv")
    gc.collect()
    before = common.rss_mb()
    if mode == "tracemalloc":
        tracemalloc.start()
    clock = common.Stopwatch()
    job = preview(workspace, user, data, "csv")
    job_commit(job=job, user=user)
    took = clock()
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if mode == "tracemalloc" else None
    common.purge_queue()
    print(
        json.dumps(
            {"rss_growth": common.peak_rss_mb() - before, "tracemalloc_peak": peak, "seconds": took, "bytes": len(data)}
        )
    )


def measure_memory(args: argparse.Namespace, mode: str) -> dict:
    command = [sys.executable, "-m", "benchmarks.import_speed", "--child", mode, "--memory-rows", str(args.memory_rows)]
    command += ["--database-url", args.database_url, "--redis-url", args.redis_url]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=common.ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # The uploads are stored, as the Import page stores them, in a folder of the run's own.
    common.setup_django(args, migrate=args.child is None, MEDIA_ROOT=tempfile.mkdtemp(prefix="vatcrm-bench-media-"))
    if args.child:
        memory_child(args.memory_rows, args.child)
        return
    common.heading("import_speed")
    print(common.machine())
    # The machine is shared: what else runs on it shows in the figures, so the run says how busy it was.
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    runs = [timed(args.rows, "csv"), timed(args.rows, "xlsx")]
    common.table(
        [
            [
                run["format"],
                run["rows"],
                f"{run['bytes'] / 2**20:.1f} MB",
                run["preview"],
                run["preview_cpu"],
                run["commit"],
                run["commit_cpu"],
                run["to_verify"],
                run["preview_queries"],
                run["commit_queries"],
            ]
            for run in runs
        ],
        headers=[
            "file",
            "rows",
            "size",
            "preview s",
            "(CPU s)",
            "commit s",
            "(CPU s)",
            "created",
            "preview SQL",
            "commit SQL",
        ],
    )
    print(f"classification: {runs[0]['counts']}")
    rss, traced = measure_memory(args, "rss"), measure_memory(args, "tracemalloc")
    common.table(
        [
            ["RSS growth (child process)", f"{rss['rss_growth']:.1f} MB", f"{rss['seconds']:.1f} s"],
            [
                "Python allocations, peak (tracemalloc)",
                f"{traced['tracemalloc_peak']:.1f} MB",
                f"{traced['seconds']:.1f} s",
            ],
        ],
        headers=[f"memory, {args.memory_rows:,} rows ({rss['bytes'] / 2**20:.1f} MB CSV)", "value", "preview + commit"],
    )
    csv_run = runs[0]
    print(
        f"targets at {csv_run['rows']:,} rows: preview {csv_run['preview']:.2f} s (< {TARGETS['preview']:.0f}), "
        f"commit {csv_run['commit']:.2f} s (< {TARGETS['commit']:.0f}); memory at {args.memory_rows:,} rows: "
        f"{rss['rss_growth']:.0f} MB RSS (< {TARGETS['memory']:.0f})"
    )


if __name__ == "__main__":
    main()
