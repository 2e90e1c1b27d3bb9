"""A /metrics scrape at scale: what each collector query costs at 100,000 counterparties and 1,000,000 checks.

    python -m benchmarks.metrics_scrape                 # 100,000 counterparties, 1,000,000 checks (2,000,000 results)
    python -m benchmarks.metrics_scrape --quick         # 10,000 / 100,000: a smoke run

The rows are bulk-inserted with SQL (generate_series): checks spread over 90 days, except a night-run peak
of `--burst` checks in the last ten minutes, which is what the metrics' window holds while monitoring runs;
100,000 delivered alerts with a few pending, claimed and failed. Then the production collector scrapes a
few times (the median is reported) and every query it sends is shown with EXPLAIN (ANALYZE, BUFFERS).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/metrics_scrape.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

STATES = ["DE", "FR", "NL", "BE", "IT", "ES", "PL", "AT"]
BIG_TABLES = ("crm_checkresult", "crm_verificationcheck", "crm_counterparty", "notifications_delivery")

SEED_SQL = [
    """INSERT INTO crm_workspace (name, slug, monitor_new_counterparties, created_at)
       SELECT 'Bench ' || i, 'bench-' || i, false, now() FROM generate_series(1, %(workspaces)s) i""",
    """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                              date_joined)
       VALUES ('!', false, 'bench', '', '', 'bench@example.com', false, true, now())""",
    """INSERT INTO crm_counterparty (vat_number, country_code, name, address, status, monitoring, created_at,
                                     updated_at, workspace_id, retry_attempts, external_reference, notes)
       SELECT s.cc || lpad(i::text, 9, '0'), s.cc, 'Supplier ' || i, '', 'valid', 'daily', now(), now(), w.id, 0, '', ''
       FROM generate_series(1, %(counterparties)s) i
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM crm_workspace) w ON w.k = i %% %(workspaces)s
       CROSS JOIN LATERAL (SELECT (%(states)s::text[])[1 + i %% %(n_states)s] AS cc) s""",
    # Oldest first; the last `burst` checks fall in the last ten minutes (a nightly run in progress).
    """INSERT INTO crm_verificationcheck (trigger, overall_status, confidence_score, consultation_number,
                                          requester_vat_number, started_at, finished_at, counterparty_id, workspace_id)
       SELECT 'monitoring', CASE WHEN i %% 50 = 0 THEN 'unverified' ELSE 'valid' END, 90, '', '', t.at, t.at,
              c.id, c.workspace_id
       FROM generate_series(1, %(checks)s) i
       CROSS JOIN LATERAL (SELECT CASE WHEN i > %(checks)s - %(burst)s
               THEN now() - (%(checks)s - i) * interval '10 minutes' / greatest(%(burst)s, 1)
               ELSE now() - interval '15 minutes' - (%(checks)s - %(burst)s - i) * interval '90 days' / %(checks)s
               END AS at) t
       JOIN crm_counterparty c ON c.id = (SELECT min(id) FROM crm_counterparty) + i %% %(counterparties)s""",
    """INSERT INTO crm_checkresult (service, country_code, status, match_codes, error_code, message, warnings,
                                    latency_ms, consultation_number, raw_request, raw_response, created_at,
                                    check_run_id)
       SELECT svc.name, c.country_code, CASE WHEN svc.name = 'format' THEN 'valid' ELSE v.overall_status END, '{}',
              CASE WHEN svc.name = 'vies' AND v.overall_status = 'unverified' THEN 'MS_UNAVAILABLE' ELSE '' END,
              '', '[]', CASE WHEN svc.name = 'vies' THEN 100 + v.id %% 900 END, '', '', '', v.started_at, v.id
       FROM crm_verificationcheck v JOIN crm_counterparty c ON c.id = v.counterparty_id
       CROSS JOIN (VALUES ('format'), ('vies')) svc(name)""",
    """INSERT INTO crm_alert (kind, severity, before, after, created_at, is_sent, counterparty_id, check_run_id,
                              workspace_id, acknowledgement_comment)
       SELECT 'validity_lost', 'critical', 'valid', 'invalid', v.started_at, true, v.counterparty_id, v.id,
              v.workspace_id, ''
       FROM crm_verificationcheck v ORDER BY v.id LIMIT %(deliveries)s""",
    # Mostly sent; every 200th pending (half of them due), every 500th failed, every 2,000th being sent.
    """INSERT INTO notifications_delivery (key, address, digest, status, attempts, next_attempt_at, claimed_at,
                                           provider_message_id, last_error, created_at, expires_at, sent_at,
                                           failed_at, alert_id, recipient_id, workspace_id)
       SELECT gen_random_uuid(), 'bench@example.com', false, st.status, 1,
              now() + CASE WHEN a.id %% 400 = 0 THEN interval '5 minutes' ELSE interval '-5 minutes' END,
              CASE WHEN st.status = 'sending' THEN now() END, '', '', a.created_at, now() + interval '3 days',
              CASE WHEN st.status = 'sent' THEN a.created_at END, CASE WHEN st.status = 'failed' THEN now() END,
              a.id, (SELECT id FROM auth_user WHERE username = 'bench'), a.workspace_id
       FROM crm_alert a
       CROSS JOIN LATERAL (SELECT CASE WHEN a.id %% 2000 = 0 THEN 'sending' WHEN a.id %% 500 = 0 THEN 'failed'
                                       WHEN a.id %% 200 = 0 THEN 'pending' ELSE 'sent' END AS status) st""",
    """INSERT INTO monitoring_monitoringrun (trigger, started_at, fanned_out_at, due, enqueued, checked, changed,
                                             unverified, retried, skipped, alerts, missed, redispatched,
                                             incomplete_reason)
       VALUES ('schedule', now() - interval '10 minutes', now() - interval '9 minutes', %(burst)s, %(burst)s,
               %(burst)s, 0, 0, 0, 0, 0, 0, 0, '')""",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counterparties", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=1_000_000, help="verification checks (two results each)")
    parser.add_argument("--burst", type=int, default=25_000, help="checks in the last ten minutes (a night run)")
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--workspaces", type=int, default=5)
    parser.add_argument("--scrapes", type=int, default=5, help="timed scrapes; the median is reported")
    parser.add_argument("--keep-data", action="store_true", help="leave the seeded rows in the database")
    parser.add_argument("--quick", action="store_true", help="a tenth of the default sizes")
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.counterparties, args.checks, args.burst, args.deliveries = 10_000, 100_000, 2_500, 10_000
    return args


def seed(args: argparse.Namespace) -> float:
    params = {
        "workspaces": args.workspaces,
        "counterparties": args.counterparties,
        "checks": args.checks,
        "burst": min(args.burst, args.checks),
        "deliveries": min(args.deliveries, args.checks),
        "states": STATES,
        "n_states": len(STATES),
    }
    return common.seed_sql(SEED_SQL, params)


def scrape_and_explain(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from prometheus_client import generate_latest

    from ops.metrics import metrics_registry

    registry = metrics_registry()
    generate_latest(registry)  # warm: connections, the broker's first round trip
    timings = []
    for _ in range(args.scrapes):
        started = time.perf_counter()
        body = generate_latest(registry)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        generate_latest(registry)
    selects = [(q["sql"], float(q["time"]) * 1000) for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    common.heading(f"scrape: {len(body):,} bytes, {len(body.splitlines()):,} lines, {len(selects)} SQL queries")
    common.table([("median", statistics.median(timings)), ("max", max(timings))], ["whole scrape (DB + broker)", "ms"])
    seq_scans = 0
    with connection.cursor() as cursor:
        for sql, ms in selects:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            seq_scans += sum(f"Seq Scan on {table}" in plan for table in BIG_TABLES)
            common.heading(f"{ms:.1f} ms: {sql[:160]}{' ...' if len(sql) > 160 else ''}")
            print(plan)
    print(f"\nsequential scans of {', '.join(BIG_TABLES)}: {seq_scans}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    common.setup_django(args)
    print(f"metrics scrape benchmark: {common.machine()}")
    common.reset_data()
    seconds = seed(args)
    print(
        f"seeded {args.counterparties:,} counterparties, {args.checks:,} checks ({2 * args.checks:,} results; "
        f"{args.burst:,} checks in the last 10 minutes) and {args.deliveries:,} deliveries in {seconds:.1f} s"
    )
    scrape_and_explain(args)
    if not args.keep_data:
        common.reset_data()
    return 0


if __name__ == "__main__":
    sys.exit(main())
