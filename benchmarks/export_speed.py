"""Exports of a long list: time to the first byte and in all, inline and in the background.

    python -m benchmarks.export_speed             # 100,000 counterparties, each with a last check
    python -m benchmarks.export_speed --quick     # 10,000

Through the whole Django stack (a signed-in test client: middleware, session, filter, view), on
PostgreSQL, with production settings. Measured in one run:

- inline, as every export was before the background path existed (EXPORT_BACKGROUND_ROWS raised above the
  list's size): CSV streams, so its first byte leaves early; XLSX's first byte is its last (a zip file
  is written whole), which is the time a web worker is held;
- the default path for a list this long: the request stores the ids and answers with the page that
  follows the export (its time is what holds the web worker), and the task writes the file, timed here
  in this process with the code the Celery worker runs.

The figure to compare is the time a web worker is held: the inline XLSX's total against the background
request's; their ratio is printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/export_speed.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="counterparties in the workspace")
    parser.add_argument("--quick", action="store_true", help="10,000 rows")
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = min(args.rows, 10_000)
    if args.rows < 1:
        parser.error("--rows must be positive")
    return args


def populate(rows: int) -> Any:
    """One workspace of `rows` counterparties, each with a valid last check; half monitored daily."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from crm.models import Counterparty, VerificationCheck
    from crm.services import workspace_create_for_user

    user = get_user_model().objects.create_user("bench", "bench@example.com", "bench-password-not-secret")
    workspace = workspace_create_for_user(user=user, name="Bench workspace")
    now = timezone.now()
    batch = 5000
    for start in range(0, rows, batch):
        counterparties = Counterparty.objects.bulk_create(
            Counterparty(
                workspace=workspace,
                vat_number=common.belgian_vat(n),
                country_code="BE",
                name=f"Supplier {n} NV",
                registered_name=f"SUPPLIER {n} NV",
                registered_address=f"Rue du Commerce {n}\n1000 Bruxelles",
                status="valid",
                status_changed_at=now,
                last_checked_at=now,
                monitoring="daily" if n % 2 else "off",
                next_check_due_at=now if n % 2 else None,
            )
            for n in range(start, min(rows, start + batch))
        )
        VerificationCheck.objects.bulk_create(
            VerificationCheck(
                workspace=workspace,
                counterparty=counterparty,
                overall_status="valid",
                confidence_score=90,
                consultation_number=f"WAPIBENCH{counterparty.pk:010d}",
                finished_at=now,
            )
            for counterparty in counterparties
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE crm_counterparty c SET last_check_id = v.id FROM crm_verificationcheck v "
            "WHERE v.counterparty_id = c.id AND c.workspace_id = %s",
            [workspace.pk],
        )
    common.analyze()
    return user


def timed_get(client, url: str) -> tuple[float, float, int, Any]:
    """(seconds to the first byte of the body, seconds in all, bytes, response) of one GET."""
    started = time.perf_counter()
    response = client.get(url)
    size, first = 0, None
    if response.streaming:
        for chunk in response.streaming_content:
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
    else:
        first = time.perf_counter() - started
        size = len(response.content)
    return first or 0.0, time.perf_counter() - started, size, response


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    common.setup_django(args)
    from django.conf import settings
    from django.test import Client

    from crm.models import Export
    from crm.services.exports import export_write

    common.reset_data()
    print(f"export benchmark: {common.machine()}")
    clock = common.Stopwatch()
    user = populate(args.rows)
    print(f"{args.rows:,} counterparties with their last check stored in {clock():.1f} s")
    client = Client()
    client.force_login(user)

    rows, ok = [], True
    settings.EXPORT_BACKGROUND_ROWS = args.rows + 1  # inline, whatever the default
    for file_format in ("csv", "xlsx"):
        first, total, size, response = timed_get(client, f"/crm/export.{file_format}")
        ok = ok and response.status_code == 200
        rows.append((f"inline {file_format.upper()}", first, total, total, size / 2**20))
    inline_xlsx_held = rows[-1][3]

    settings.EXPORT_BACKGROUND_ROWS = min(10_000, args.rows - 1)
    for file_format in ("csv", "xlsx"):
        # The task's message goes to the benchmark's broker, where no worker listens: its service runs here.
        first, held, _, response = timed_get(client, f"/crm/export.{file_format}")
        ok = ok and response.status_code == 302
        export = Export.objects.latest("created_at")
        written = common.Stopwatch()
        export = export_write(export_id=export.pk)
        ok = ok and export is not None and export.rows == args.rows
        rows.append((f"background {file_format.upper()}", first, held + written(), held, export.file.size / 2**20))
        export.file.delete()
    common.purge_queue()

    common.heading(f"exporting {args.rows:,} counterparties (seconds)")
    common.table(rows, ["path", "first byte", "file done", "web worker held", "MiB"])
    background_held = rows[-1][3]
    print(
        f"\nfirst byte: of the answer (the file's for inline; the redirect to the follow-up page for background).\n"
        f"A web worker is held {inline_xlsx_held / background_held:,.0f}x shorter for XLSX in the background "
        f"({background_held:.2f} s) than inline ({inline_xlsx_held:.2f} s)."
    )
    common.reset_data()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
