"""What one re-check costs the database: at most eight statements, the same in a small and a large wave,
and none of them writes the run's row (a hot row for a whole night otherwise).

Committed for real (transaction=True), so the question asked after the commit (was this the run's last
re-check?) is counted too, as in production.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.models import MonitoringRun, RecheckOutcome
from monitoring.services import counterparty_recheck, run_fan_out, run_start

from .conftest import add_monitored

pytestmark = [
    pytest.mark.usefixtures("requester"),
    pytest.mark.django_db(transaction=True),
    # The count is PostgreSQL's: other databases read a re-check's context in four ORM queries, not one.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the statement count is PostgreSQL's"),
]

MAX_STATEMENTS = 8


def wave(sim, workspace, size: int, first: int) -> tuple[MonitoringRun, list[list[str]]]:
    """Claim `size` counterparties (messages kept back) and re-check each one; the SQL of each re-check.

    Counted by CaptureQueriesContext, BEGIN and COMMIT included.
    """
    for n in range(size):
        add_monitored(sim, workspace, first + n)
    run = run_fan_out(run=run_start(), dispatch=lambda run, ids: None)
    statements = []
    # Every claimed one: near the daily run's hour, the last wave's counterparties are due again already.
    for counterparty_id in run.rechecks.order_by("id").values_list("counterparty_id", flat=True):
        with CaptureQueriesContext(connection) as queries:
            counterparty_recheck(run_id=run.pk, counterparty_id=counterparty_id)
        statements.append([query["sql"] for query in queries.captured_queries])
    run.refresh_from_db()
    return run, statements


def test_a_re_check_is_at_most_eight_statements_whatever_the_size_of_the_wave(sim, owner):
    small_run, small = wave(sim, owner.workspace, 3, first=0)
    large_run, large = wave(sim, owner.workspace, 30, first=100)
    assert small_run.is_finished and large_run.is_finished
    assert small_run.checked == 3 and large_run.checked >= 30
    counts = {len(sql) for sql in small + large}
    # The last re-check of a run also finishes it and stores its totals: that one costs more, once a run.
    steady = {len(sql) for sql in small[:-1] + large[:-1]}
    assert max(steady) <= MAX_STATEMENTS, small[0]
    assert len(steady) == 1, f"the same number of statements at every size of wave, got {sorted(counts)}"


def test_no_re_check_but_the_last_writes_the_run_row(sim, owner):
    run, statements = wave(sim, owner.workspace, 5, first=0)
    writes = [
        [sql for sql in sqls if sql.startswith("UPDATE") and '"monitoring_monitoringrun"' in sql] for sqls in statements
    ]
    assert writes[:-1] == [[]] * 4
    assert writes[-1], "the last one finishes the run"
    # The totals are counted from the Recheck rows when the run ends.
    assert (run.checked, run.unverified, run.retried, run.skipped, run.alerts) == (5, 0, 0, 0, 0)
    assert all(item.outcome == RecheckOutcome.CHECKED for item in run.rechecks.all())


def test_totals_of_retried_skipped_and_changed_re_checks_are_counted_from_the_rows(sim, owner):
    changing = add_monitored(sim, owner.workspace, 1)
    sim.registry.add(changing.vat_number, valid=False)  # validity lost: one alert, a change
    flaky = add_monitored(sim, owner.workspace, 2)
    sim.set_fault(flaky.vat_number, "MS_UNAVAILABLE", times=1)
    turned_off = add_monitored(sim, owner.workspace, 3)
    run = run_fan_out(run=run_start(), dispatch=lambda run, ids: None)
    turned_off.monitoring = "off"
    turned_off.save()
    counterparty_recheck(run_id=run.pk, counterparty_id=changing.pk)
    counterparty_recheck(run_id=run.pk, counterparty_id=turned_off.pk)
    assert counterparty_recheck(run_id=run.pk, counterparty_id=flaky.pk, attempt=0, final=False).retry
    assert MonitoringRun.objects.get(pk=run.pk).with_live_totals().retried == 1
    counterparty_recheck(run_id=run.pk, counterparty_id=flaky.pk, attempt=1, final=True)
    run.refresh_from_db()
    assert run.is_finished
    totals = (run.checked, run.changed, run.unverified, run.retried, run.skipped, run.alerts)
    assert totals == (2, 1, 0, 1, 1, 1)
