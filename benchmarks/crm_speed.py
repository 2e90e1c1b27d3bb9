"""The CRM list and the admin changelist at 100,000 counterparties and 1,000,000 checks.

    python -m benchmarks.crm_speed            # 100,000 counterparties, 1,000,000 checks
    python -m benchmarks.crm_speed --quick    # 10,000 / 100,000: a smoke run

One workspace holds every counterparty (the worst case for its list). Names are made of syllables, so a
fragment of one matches a few dozen rows, as a real book's would; each counterparty has ten checks and its
last one linked. Rows are inserted with SQL (generate_series), then ANALYZE and VACUUM, as autovacuum would
leave them. Each scenario is a GET through Django's test client, signed in, template rendered; the figures
are milliseconds and the SQL statements of one request, measured at two page sizes to show that the count
does not grow with the page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/crm_speed.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common

STATES = ["DE", "FR", "NL", "BE", "IT", "ES", "PL", "AT"]
TARGET_LIST_P95_MS, TARGET_ADMIN_P95_MS = 50, 100
SYLLABLES = "ka,lo,mi,ne,ru,sa,te,vo,zu,bri,dan,fel,gor,hil,jur,kem,lin,mor,nus,pra,quo,ros,sil,tam,ulm,ver,wen"
SUFFIXES = "GmbH,B.V.,S.A.,S.p.A.,NV,Sp. z o.o.,AG,SARL,Oy,AB"

SEED_SQL = [
    """INSERT INTO crm_workspace (name, slug, monitor_new_counterparties, created_at)
       VALUES ('Bench', 'bench', false, now())""",
    """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                              date_joined)
       VALUES ('!', true, 'bench', '', '', 'bench@example.com', true, true, now())""",
    """INSERT INTO crm_membership (role, created_at, user_id, workspace_id)
       SELECT 'owner', now(), u.id, w.id FROM auth_user u, crm_workspace w WHERE u.username = 'bench'""",
    # A name of three syllables from a hash of the row number, a legal form, and a number: "Brikalo 4711 GmbH".
    """INSERT INTO crm_counterparty (vat_number, country_code, name, address, registered_name, status, monitoring,
                                     created_at, updated_at, workspace_id, retry_attempts, external_reference,
                                     notes)
       SELECT s.cc || lpad(i::text, 9, '0'), s.cc, n.name, '', upper(n.name),
              CASE WHEN i %% 40 = 0 THEN 'invalid' WHEN i %% 25 = 0 THEN NULL ELSE 'valid' END,
              CASE WHEN i %% 3 = 0 THEN 'off' WHEN i %% 3 = 1 THEN 'daily' ELSE 'weekly' END,
              now() - i * interval '1 minute', now(), (SELECT id FROM crm_workspace), 0,
              CASE WHEN i %% 2 = 0 THEN 'ERP-' || i ELSE '' END, ''
       FROM generate_series(1, %(counterparties)s) i
       CROSS JOIN LATERAL (SELECT (%(states)s::text[])[1 + i %% %(n_states)s] AS cc) s
       CROSS JOIN LATERAL (
           SELECT initcap(sy[1 + abs(hashint4(i)) %% cardinality(sy)] || sy[1 + abs(hashint4(i + 7)) %% cardinality(sy)]
                          || sy[1 + abs(hashint4(i + 13)) %% cardinality(sy)])
                  || ' ' || (i %% 9973) || ' ' || sf[1 + i %% cardinality(sf)] AS name
           FROM (SELECT string_to_array(%(syllables)s, ',') AS sy, string_to_array(%(suffixes)s, ',') AS sf) w
       ) n""",
    """INSERT INTO crm_verificationcheck (trigger, overall_status, confidence_score, consultation_number,
                                          requester_vat_number, started_at, finished_at, counterparty_id, workspace_id)
       SELECT 'monitoring', CASE WHEN i %% 50 = 0 THEN 'unverified' ELSE coalesce(c.status, 'unverified') END,
              90, '', '', t.at, t.at, c.id, c.workspace_id
       FROM generate_series(1, %(checks)s) i
       CROSS JOIN LATERAL (SELECT now() - (%(checks)s - i) * interval '1 minute' AS at) t
       JOIN crm_counterparty c ON c.id = (SELECT min(id) FROM crm_counterparty) + i %% %(counterparties)s""",
    """UPDATE crm_counterparty c SET last_check_id = v.id, last_checked_at = v.started_at
       FROM (SELECT DISTINCT ON (counterparty_id) counterparty_id, id, started_at FROM crm_verificationcheck
             ORDER BY counterparty_id, started_at DESC) v
       WHERE v.counterparty_id = c.id""",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counterparties", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per scenario")
    parser.add_argument("--keep-data", action="store_true", help="leave the seeded rows in the database")
    parser.add_argument("--quick", action="store_true", help="a tenth of the default sizes")
    common.add_service_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.counterparties, args.checks, args.requests = 10_000, 100_000, 15
    return args


def seed(args: argparse.Namespace) -> float:
    params = {
        "counterparties": args.counterparties,
        "checks": args.checks,
        "states": STATES,
        "n_states": len(STATES),
        "syllables": SYLLABLES,
        "suffixes": SUFFIXES,
    }
    return common.seed_sql(SEED_SQL, params, then=common.vacuum)


def scenarios(counterparties: int, page_size: int) -> list[tuple[str, str, float]]:
    """(label, URL, target ms); a name fragment and a VAT prefix that exist in the seeded rows."""
    from django.urls import reverse

    from crm.models import Counterparty

    crm, admin = reverse("crm:counterparty_list"), reverse("admin:crm_counterparty_changelist")
    sample = Counterparty.objects.order_by("id")[counterparties // 2]
    fragment = sample.name.split()[0][2:7].lower()  # inside the first word: not a prefix search
    vat_prefix = sample.vat_number[:8]
    last_page = (counterparties + page_size - 1) // page_size
    return [
        ("list, first page", crm, TARGET_LIST_P95_MS),
        (f"list, name fragment '{fragment}'", f"{crm}?q={fragment}", TARGET_LIST_P95_MS),
        (f"list, VAT prefix '{vat_prefix}'", f"{crm}?q={vat_prefix}", TARGET_LIST_P95_MS),
        ("list, status invalid", f"{crm}?status=invalid", TARGET_LIST_P95_MS),
        (f"list, last page ({last_page:,})", f"{crm}?page={last_page}", TARGET_LIST_P95_MS),
        ("admin changelist", admin, TARGET_ADMIN_P95_MS),
        (f"admin changelist, search '{fragment}'", f"{admin}?q={fragment}", TARGET_ADMIN_P95_MS),
    ]


def statements_at(client: Any, url: str, page_size: int) -> int:
    """SQL statements of one request with the list and the changelist showing `page_size` rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.admin import CounterpartyAdmin
    from crm.views.counterparties import CounterpartyListView

    list_size, admin_size = CounterpartyListView.paginate_by, CounterpartyAdmin.list_per_page
    CounterpartyListView.paginate_by = CounterpartyAdmin.list_per_page = page_size
    try:
        with CaptureQueriesContext(connection) as captured:
            client.get(url.split("?page=")[0])
        return len(captured)
    finally:
        CounterpartyListView.paginate_by, CounterpartyAdmin.list_per_page = list_size, admin_size


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    common.setup_django_for_pages(args)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from crm.views.counterparties import CounterpartyListView

    print(f"CRM speed benchmark: {common.machine()}")
    common.reset_data()
    seconds = seed(args)
    print(f"seeded {args.counterparties:,} counterparties and {args.checks:,} checks in {seconds:.1f} s")
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    rows, met = [], True
    for label, url, target in scenarios(args.counterparties, CounterpartyListView.paginate_by):
        summary, statements = common.timed_get(client, url, args.requests)
        small, large = statements_at(client, url, 20), statements_at(client, url, 200)
        ok = summary["p95"] < target
        met = met and ok and small == large
        rows.append((
            label, statements, f"{small} / {large}", summary["p50"], summary["p95"], summary["python cpu p50"],
            summary["sql wall"], target, "yes" if ok else "NO",
        ))  # fmt: skip
    common.heading(f"GET, {args.requests} requests each, signed in, template rendered (ms)")
    common.table(
        rows, ["scenario", "SQL", "SQL at 20 / 200 rows", "p50", "p95", "CPU p50", "SQL ms", "target p95", "met"]
    )
    print(
        "CPU p50: this process's CPU time per request (Django, the template), which other processes on a busy "
        "machine change least; SQL ms: the wall time of one request's statements."
    )
    print(f"\nevery target met and statements independent of the page size: {'yes' if met else 'NO'}")
    if not args.keep_data:
        common.reset_data()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
