"""The fan-out's two hot statements in PostgreSQL's own SQL: a chunk claimed in one round trip, and its
messages marked as sent by primary key.

Why not the ORM here (it does the same on other databases, services/runs.py): at 100,000 due a night the
ORM's claim was four statements a chunk and most of its time was Python (500 Recheck instances built and
compiled into 6,500 parameters per INSERT), about half of the claim's wall time. One data-modifying CTE
does the lock, the due-time move, the Recheck rows and the run's `enqueued` in the database, and returns
the ids. The "who is due" query is still the ORM's (`due_for_claim`), compiled and embedded, so that there
is one definition of it.

The rows claimed are updated by primary key (`id = ANY(ARRAY(...))`): as a join, the planner hashed the
whole table for every chunk. The mark matches the Recheck rows of a chunk by (run, counterparty), one
unique-index lookup each: written as `run_id = X AND counterparty_id IN (...)`, the planner, which knows
nothing yet of a run started minutes ago, scans every row of the run and filters, so that the mark of each
chunk grew with the run (O(N^2) over a night).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from crm.models import Counterparty, MonitoringFrequency

from ..models import MonitoringRun, Recheck, RecheckOutcome


def _claim_statement(due_sql: str) -> str:
    counterparty = Counterparty._meta.db_table
    recheck = Recheck._meta.db_table
    run = MonitoringRun._meta.db_table
    return f"""
        WITH claimed AS ({due_sql}),
        moved AS (
            UPDATE {counterparty} AS c
            SET next_check_due_at = CASE c.monitoring
                WHEN %(daily)s THEN %(daily_due)s::timestamptz
                WHEN %(weekly)s THEN %(weekly_due)s::timestamptz
            END
            WHERE c.id = ANY(ARRAY(SELECT id FROM claimed))
            RETURNING c.id, c.workspace_id
        ),
        inserted AS (
            INSERT INTO {recheck}
                (run_id, counterparty_id, workspace_id, outcome, attempts, changed, alerts, created_at,
                 next_attempt_at)
            SELECT %(run)s, id, workspace_id, %(pending)s, 0, false, 0, %(now)s, %(now)s FROM moved
            RETURNING counterparty_id
        ),
        counted AS (
            UPDATE {run} SET enqueued = enqueued + (SELECT count(*) FROM inserted), fan_out_progress_at = %(now)s
            WHERE id = %(run)s
        )
        SELECT counterparty_id FROM inserted ORDER BY counterparty_id
    """


def claim_chunk(*, run: MonitoringRun, due, now: datetime) -> list[int]:
    """Claim the rows `due` (a locking queryset of id, workspace_id) for `run`; their ids, in one statement.

    Inside the caller's transaction. The due times are the run's (`MonitoringRun.next_due_for`)."""
    due_sql, due_params = due.query.sql_with_params()
    # The embedded query's %s placeholders become named ones, so that both kinds do not mix.
    names = {f"due_{n}": value for n, value in enumerate(due_params)}
    statement = _claim_statement(due_sql % tuple(f"%({name})s" for name in names))
    params = {
        **names,
        "daily": MonitoringFrequency.DAILY,
        "weekly": MonitoringFrequency.WEEKLY,
        "daily_due": run.next_due_for(MonitoringFrequency.DAILY),
        "weekly_due": run.next_due_for(MonitoringFrequency.WEEKLY),
        "run": run.pk,
        "pending": RecheckOutcome.PENDING,
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [counterparty_id for (counterparty_id,) in cursor.fetchall()]


def mark_dispatched(*, run_id: int, counterparty_ids: list[int], now: datetime) -> None:
    recheck = Recheck._meta.db_table
    statement = f"""
        WITH found AS MATERIALIZED (
            SELECT r.id FROM unnest(%(ids)s::bigint[]) AS claimed(counterparty_id)
            CROSS JOIN LATERAL (
                SELECT id FROM {recheck} WHERE run_id = %(run)s AND counterparty_id = claimed.counterparty_id LIMIT 1
            ) AS r
        )
        UPDATE {recheck} SET dispatched_at = %(now)s WHERE id = ANY(ARRAY(SELECT id FROM found))
    """
    with connection.cursor() as cursor:
        cursor.execute(statement, {"ids": list(counterparty_ids), "run": run_id, "now": now})
