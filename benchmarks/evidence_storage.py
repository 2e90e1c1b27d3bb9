"""Bytes stored per re-check: the raw evidence (compressed) and the rows with their indexes.

    python -m benchmarks.evidence_storage            # 2,000 re-checks over 3 member states
    python -m benchmarks.evidence_storage --quick    # 300

Each re-check goes through the production path in this process (crm.services.run_verification with the
workspace's requester, so VIES answers checkVatApprox with trader data and a consultation number) against
the simulator over HTTP; the counterparties already exist, as on a monitoring night. Then VACUUM, and the
figures: the evidence columns as stored and as text (the ratio is what crm/evidence.py saves), and the
whole of crm_verificationcheck and crm_checkresult (heap, TOAST and indexes) per re-check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/evidence_storage.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

STATES = ("DE", "NL", "BE")
REQUESTER = ("IE6388047V", "Requester Ltd")
TARGET_EVIDENCE_BYTES = 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rechecks", type=int, default=2000, help="re-checks stored (N)")
    parser.add_argument("--quick", action="store_true", help="N=300")
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.rechecks = min(args.rechecks, 300)
    if args.rechecks < 1:
        parser.error("--rechecks must be positive")
    return args


def store_rechecks(count: int) -> None:
    from django.contrib.auth import get_user_model

    from crm.models import CheckTrigger, Company, Counterparty
    from crm.services import run_verification, workspace_create_for_user
    from verification.vat import normalise_vat

    user = get_user_model().objects.create_user("bench", "bench@example.com", "bench-password-not-secret")
    workspace = workspace_create_for_user(user=user, name="Bench workspace")
    Company.objects.create(workspace=workspace, name=REQUESTER[1], vat_number=REQUESTER[0])
    numbers = [common.vat_number(STATES, n) for n in range(count)]
    Counterparty.objects.bulk_create(
        Counterparty(workspace=workspace, vat_number=vat, country_code=vat[:2], name=f"Supplier {n}")
        for n, vat in enumerate(numbers)
    )
    for n, vat in enumerate(numbers):
        run_verification(
            workspace=workspace,
            vat=normalise_vat(vat),
            trigger=CheckTrigger.MONITORING,
            idempotency_key=f"bench-storage:{n}",
        )


def measure() -> dict[str, Any]:
    from django.db import connection

    common.vacuum()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT check_run_id), sum(length(raw_request) + length(raw_response)) FROM crm_checkresult"
        )
        checks, stored = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c"
            " WHERE c.relname IN ('crm_verificationcheck', 'crm_checkresult') ORDER BY c.relname DESC"
        )
        sizes = cursor.fetchall()
        cursor.execute(
            "SELECT i.relname, pg_relation_size(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname IN ('crm_verificationcheck', 'crm_checkresult')"
            " ORDER BY 2 DESC"
        )
        indexes = cursor.fetchall()
    from crm.models import CheckResult

    text = sum(
        len(request.encode()) + len(response.encode())
        for request, response in CheckResult.objects.values_list("raw_request", "raw_response").iterator()
    )
    return {
        "checks": checks,
        "stored": stored / checks,
        "text": text / checks,
        "total": sum(table + index for _, table, index in sizes) / checks,
        "tables": [(name, table / checks, index / checks) for name, table, index in sizes],
        "indexes": [(name, size / checks) for name, size in indexes],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with common.simulator_and_django(args) as sim:
        common.reset_data()
        common.clear_limiter()
        for n in range(args.rechecks):
            vat = common.vat_number(STATES, n)
            sim.registry.add(vat, f"Supplier {n} GmbH", f"Hauptstrasse {n}\n10115 Berlin")
        print(f"evidence storage benchmark: {common.machine()}")
        store_rechecks(args.rechecks)
        figures = measure()
        common.heading(f"bytes stored per re-check ({figures['checks']} re-checks over {', '.join(STATES)})")
        common.table(
            [
                ("raw evidence as stored (deflated)", figures["stored"]),
                ("raw evidence as text", figures["text"]),
                ("check and results rows with indexes and TOAST", figures["total"]),
            ],
            ["what", "bytes per re-check"],
        )
        common.heading("where the bytes are (per re-check)")
        common.table(figures["tables"], ["table", "heap and TOAST", "indexes"])
        common.table(figures["indexes"], ["index", "bytes"])
        ratio = figures["text"] / figures["stored"] if figures["stored"] else 0.0
        met = figures["stored"] < TARGET_EVIDENCE_BYTES
        print(
            f"\ncompression ratio {ratio:.1f}x; stored evidence {figures['stored']:.0f} B per re-check "
            f"(target < {TARGET_EVIDENCE_BYTES} B: {'met' if met else 'NOT met'}); "
            f"{figures['total'] * 100_000 / 1e6:.0f} MB per 100,000-row night in all"
        )
        common.reset_data()
        return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
