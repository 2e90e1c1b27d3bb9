"""The dashboard's speed at 100,000 counterparties and 1,000,000 checks in one workspace.

    python -m benchmarks.dashboard_speed             # 100,000 counterparties, 1,000,000 checks (2,000,000 results)
    python -m benchmarks.dashboard_speed --quick     # 10,000 / 100,000: a smoke run

One workspace holds everything (the worst case for its dashboard): checks spread over the last `--days`
days, two results each (format rules and VIES), one in 50 an outage; 20,000 alerts over twelve weeks; last
night's monitoring run with a re-check row per counterparty. The rows are inserted with SQL
(generate_series). Then the dashboard view is requested through Django's test client, signed in, with the
template rendered: first with no rollups (every chart counted from the checks), then after
`rollups_refresh` (the production state once the periodic task has run). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/dashboard_speed.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

STATES = ["DE", "FR", "NL", "BE", "IT", "ES", "PL", "AT"]
TARGET_P95_MS = 150

SEED_SQL = [
    """INSERT INTO crm_workspace (name, slug, monitor_new_counterparties, created_at)
       VALUES ('Bench', 'bench', false, now())""",
    """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                              date_joined)
       VALUES ('!', false, 'bench', '', '', 'bench@example.com', false, true, now())""",
    """INSERT INTO crm_membership (role, created_at, user_id, workspace_id)
       SELECT 'owner', now(), u.id, w.id FROM auth_user u, crm_workspace w WHERE u.username = 'bench'""",
    """INSERT INTO crm_counterparty (vat_number, country_code, name, address, status, monitoring, created_at,
                                     updated_at, workspace_id, retry_attempts, external_reference, notes)
       SELECT s.cc || lpad(i::text, 9, '0'), s.cc, 'Supplier ' || i, '',
              CASE WHEN i %% 40 = 0 THEN 'invalid' WHEN i %% 25 = 0 THEN NULL ELSE 'valid' END,
              CASE WHEN i %% 3 = 0 THEN 'off' WHEN i %% 3 = 1 THEN 'daily' ELSE 'weekly' END,
              now(), now(), (SELECT id FROM crm_workspace), 0, '', ''
       FROM generate_series(1, %(counterparties)s) i
       CROSS JOIN LATERAL (SELECT (%(states)s::text[])[1 + i %% %(n_states)s] AS cc) s""",
    """INSERT INTO crm_verificationcheck (trigger, overall_status, confidence_score, consultation_number,
                                          requester_vat_number, started_at, finished_at, counterparty_id, workspace_id)
       SELECT 'monitoring', CASE WHEN i %% 50 = 0 THEN 'unverified' WHEN i %% 40 = 0 THEN 'invalid' ELSE 'valid' END,
              90, '', '', t.at, t.at, c.id, c.workspace_id
       FROM generate_series(1, %(checks)s) i
       CROSS JOIN LATERAL (SELECT now() - (%(checks)s - i) * (%(days)s * interval '1 day') / %(checks)s AS at) t
       JOIN crm_counterparty c ON c.id = (SELECT min(id) FROM crm_counterparty) + i %% %(counterparties)s""",
    """INSERT INTO crm_checkresult (service, country_code, status, match_codes, error_code, message, warnings,
                                    latency_ms, consultation_number, raw_request, raw_response, created_at,
                                    check_run_id)
       SELECT svc.name, c.country_code, CASE WHEN svc.name = 'format' THEN 'valid' ELSE v.overall_status END, '{}',
              '', '', '[]', 100, '', '', '', v.started_at, v.id
       FROM crm_verificationcheck v JOIN crm_counterparty c ON c.id = v.counterparty_id
       CROSS JOIN (VALUES ('format'), ('vies')) svc(name)""",
    """INSERT INTO crm_alert (kind, severity, before, after, created_at, is_sent, counterparty_id, check_run_id,
                              workspace_id, acknowledgement_comment, acknowledged_at)
       SELECT 'validity_lost', (ARRAY['info', 'warning', 'critical'])[1 + v.id %% 3], 'valid', 'invalid',
              now() - (v.id %% 84) * interval '1 day', true, v.counterparty_id, v.id, v.workspace_id, '',
              CASE WHEN v.id %% 4 = 0 THEN NULL ELSE now() END
       FROM crm_verificationcheck v ORDER BY v.id DESC LIMIT %(alerts)s""",
    """INSERT INTO monitoring_monitoringrun (trigger, started_at, fanned_out_at, finished_at, due, enqueued, checked,
                                             changed, unverified, retried, skipped, alerts, missed, redispatched,
                                             incomplete_reason)
       VALUES ('schedule', now() - interval '10 hours', now() - interval '10 hours', now() - interval '9 hours',
               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '')""",
    """INSERT INTO monitoring_recheck (outcome, attempts, changed, alerts, created_at, next_attempt_at, finished_at,
                                       counterparty_id, run_id, workspace_id)
       SELECT 'checked', 1, false, 0, now(), now(), now(), c.id, (SELECT max(id) FROM monitoring_monitoringrun),
              c.workspace_id
       FROM crm_counterparty c WHERE c.monitoring <> 'off'""",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counterparties", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=1_000_000, help="verification checks (two results each)")
    parser.add_argument("--days", type=int, default=60, help="the checks are spread over this many days")
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per scenario")
    parser.add_argument("--keep-data", action="store_true", help="leave the seeded rows in the database")
    parser.add_argument("--quick", action="store_true", help="a tenth of the default sizes")
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.counterparties, args.checks, args.alerts, args.requests = 10_000, 100_000, 2_000, 15
    return args


def seed(args: argparse.Namespace) -> float:
    params = {
        "counterparties": args.counterparties,
        "checks": args.checks,
        "days": args.days,
        "alerts": min(args.alerts, args.checks),
        "states": STATES,
        "n_states": len(STATES),
    }
    return common.seed_sql(SEED_SQL, params, then=common.vacuum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    common.setup_django_for_pages(args)
    print(f"dashboard benchmark: {common.machine()}")
    common.reset_data()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from dashboard.models import CheckDay, ClosedDay, RegistryDay, StatusSnapshot
    from dashboard.services import rollups_refresh

    for model in (CheckDay, ClosedDay, RegistryDay, StatusSnapshot):
        model.objects.all().delete()
    seconds = seed(args)
    print(
        f"seeded {args.counterparties:,} counterparties, {args.checks:,} checks over {args.days} days "
        f"({2 * args.checks:,} results) and {args.alerts:,} alerts in {seconds:.1f} s"
    )
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    rows = []
    live, live_queries = common.timed_get(client, "/", args.requests)
    rows.append(("no rollups: every chart from the checks", live_queries, *live.values()))
    watch = common.Stopwatch()
    closed = rollups_refresh()
    refresh_seconds = watch()
    common.vacuum()
    rolled, rolled_queries = common.timed_get(client, "/", args.requests)
    rows.append(("after rollups_refresh (steady state)", rolled_queries, *rolled.values()))
    common.heading(f"GET / (the dashboard), {args.requests} requests each, signed in, template rendered")
    common.table(rows, ["scenario", "queries", *(key if key == "n" else f"{key} ms" for key in live)])
    print(f"\nrollups_refresh: closed {len(closed)} days in {refresh_seconds:.1f} s (periodic, every 15 minutes)")
    p95 = rolled.get("p95", float("nan"))
    verdict = "under" if p95 < TARGET_P95_MS else "OVER"
    print(f"steady-state p95 {p95:.0f} ms: {verdict} the {TARGET_P95_MS} ms target")
    if not args.keep_data:
        for model in (CheckDay, ClosedDay, RegistryDay, StatusSnapshot):
            model.objects.all().delete()
        common.reset_data()
    return 0


if __name__ == "__main__":
    sys.exit(main())
