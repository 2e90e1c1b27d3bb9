"""Races made to happen on purpose, on PostgreSQL with real row locks and one connection per thread.

Each test forces the interleaving that is rare in production (a rival arrives while we hold the locks,
or both deliveries pass the "already done?" test before either stores), so it proves the guard instead
of hoping to hit the window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from django.db import connection, connections
from django.utils import timezone

from crm.models import Alert, AlertKind, Counterparty, VerificationCheck
from monitoring.models import MonitoringRun, Recheck
from monitoring.services import Result, counterparty_recheck, recheck_key, run_fan_out, run_start
from monitoring.services import recheck as recheck_module
from monitoring.services import runs as runs_module
from tests.factories import CompanyFactory, CounterpartyFactory, WorkspaceFactory

from .conftest import add_monitored

pytestmark = [pytest.mark.usefixtures("require_postgres"), pytest.mark.django_db(transaction=True)]


def in_thread(function: Callable[[], object]) -> Callable[[], object]:
    """Run `function` on its own database connection, closed afterwards (the test's flush needs that)."""

    def run():
        try:
            return function()
        finally:
            connections.close_all()

    return run


def wait_until_a_backend_waits_on_a_lock(timeout: float = 10.0) -> bool:
    """True once some other connection is blocked on a row lock (PostgreSQL's own view of it)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is cached
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.01)
    return False


class Recorder:
    def __init__(self) -> None:
        self.ids: list[int] = []

    def __call__(self, run: MonitoringRun, ids: list[int]) -> None:
        self.ids.extend(ids)


def test_two_fan_outs_at_once_claim_each_counterparty_once(db):
    workspace = WorkspaceFactory()
    due = CounterpartyFactory.create_batch(
        120, workspace=workspace, monitoring="daily", next_check_due_at=timezone.now()
    )
    first_holds_locks, observed_blocking = threading.Event(), []
    original = runs_module.claim_sql.claim_chunk

    def hold_first_chunk(**kwargs):
        # Returns inside a chunk's transaction, its rows locked. The first fan-out's first chunk waits here
        # until the second fan-out's query is blocked on those very rows.
        ids = original(**kwargs)
        if threading.current_thread().name == "first" and not first_holds_locks.is_set():
            first_holds_locks.set()
            observed_blocking.append(wait_until_a_backend_waits_on_a_lock())
        return ids

    first, second = Recorder(), Recorder()

    def fan_out(recorder: Recorder, wait_for: threading.Event | None):
        def go():
            if wait_for is not None:
                wait_for.wait(10)
            return run_fan_out(run=run_start(), dispatch=recorder, chunk_size=25)

        return in_thread(go)

    with mock.patch.object(runs_module.claim_sql, "claim_chunk", hold_first_chunk):
        threads = [
            threading.Thread(target=fan_out(first, None), name="first"),
            threading.Thread(target=fan_out(second, first_holds_locks), name="second"),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    assert observed_blocking == [True]  # the second fan-out really waited on the first one's rows
    assert not set(first.ids) & set(second.ids)
    assert sorted(first.ids + second.ids) == sorted(counterparty.pk for counterparty in due)
    assert first.ids and second.ids  # both did part of the work
    assert Recheck.objects.count() == 120
    assert Recheck.objects.values("counterparty").distinct().count() == 120
    assert not Counterparty.objects.due(timezone.now()).exists()


def test_two_fan_outs_started_together_still_claim_each_once(db):
    workspace = WorkspaceFactory()
    CounterpartyFactory.create_batch(200, workspace=workspace, monitoring="daily", next_check_due_at=timezone.now())
    barrier = threading.Barrier(4)
    recorders = [Recorder() for _ in range(4)]

    def fan_out(recorder):
        def go():
            barrier.wait(10)
            run_fan_out(run=run_start(), dispatch=recorder, chunk_size=10)

        return in_thread(go)

    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(fan_out(recorder)) for recorder in recorders]:
            future.result(30)
    claimed = [counterparty_id for recorder in recorders for counterparty_id in recorder.ids]
    assert len(claimed) == len(set(claimed)) == 200


def test_the_same_recheck_message_twice_at_once_stores_one_check_and_one_alert(db, sim):
    workspace = WorkspaceFactory()
    CompanyFactory(workspace=workspace)
    counterparty = add_monitored(sim, workspace, 1)
    sim.registry.add(counterparty.vat_number, valid=False)
    run = run_fan_out(run=run_start(), dispatch=lambda run, ids: None)  # claimed; two deliveries will come

    both_asked_the_registry = threading.Barrier(2)
    original = recheck_module.verify_vat

    def verify_then_wait(*args, **kwargs):
        verdict = original(*args, **kwargs)
        both_asked_the_registry.wait(10)  # both deliveries are past the "already stored?" test now
        return verdict

    def deliver():
        return counterparty_recheck(run_id=run.pk, counterparty_id=counterparty.pk)

    with mock.patch.object(recheck_module, "verify_vat", verify_then_wait), ThreadPoolExecutor(2) as pool:
        outcomes = [future.result(30) for future in [pool.submit(in_thread(deliver)) for _ in range(2)]]

    assert sorted(outcome.result for outcome in outcomes) == [Result.DUPLICATE, Result.STORED]
    assert list(VerificationCheck.objects.values_list("idempotency_key", flat=True)) == [
        recheck_key(run.pk, counterparty.pk, 0)
    ]
    assert list(Alert.objects.values_list("kind", flat=True)) == [AlertKind.VALIDITY_LOST]
    run.refresh_from_db()
    assert (run.checked, run.changed, run.alerts, run.is_finished) == (1, 1, 1, True)


def test_many_rechecks_finishing_together_complete_the_run_exactly_once(db, sim, caplog):
    workspace = WorkspaceFactory()
    CompanyFactory(workspace=workspace)
    counterparties = [add_monitored(sim, workspace, n) for n in range(12)]
    run = run_fan_out(run=run_start(), dispatch=lambda run, ids: None)
    barrier = threading.Barrier(len(counterparties))

    def deliver(counterparty):
        def go():
            barrier.wait(10)
            return counterparty_recheck(run_id=run.pk, counterparty_id=counterparty.pk)

        return in_thread(go)

    with caplog.at_level("INFO", logger="monitoring"), ThreadPoolExecutor(len(counterparties)) as pool:
        for future in [pool.submit(deliver(counterparty)) for counterparty in counterparties]:
            assert future.result(30).result == Result.STORED
    run.refresh_from_db()
    assert run.is_finished and run.checked == 12
    assert [record.getMessage() for record in caplog.records if record.name == "monitoring"] == [run.summary()]


def test_a_persons_check_stored_while_the_registry_answers_is_what_the_re_check_compares_with(db, sim):
    """The re-check read the counterparty before asking the registry; a person's check changed it meanwhile."""
    from crm.services import verdict_store
    from verification.service import verify_vat

    workspace = WorkspaceFactory()
    CompanyFactory(workspace=workspace)
    counterparty = add_monitored(sim, workspace, 1)  # known valid, and the registry still says valid
    run = run_fan_out(run=run_start(), dispatch=lambda run, ids: None)
    original = recheck_module.verify_vat

    def a_person_checks_meanwhile(*args, **kwargs):
        sim.registry.add(counterparty.vat_number, valid=False)
        person = verify_vat(counterparty.vat_number)  # the registry said invalid a moment ago
        sim.registry.add(counterparty.vat_number, f"Supplier {1} NV", "Rue du Commerce 1\n1000 Bruxelles")
        in_thread(
            lambda: verdict_store(
                workspace=workspace, vat=person.vat, verdict=person, company=None, trigger="user",
                started_at=timezone.now(),
            )
        )()  # fmt: skip
        return original(*args, **kwargs)

    with mock.patch.object(recheck_module, "verify_vat", a_person_checks_meanwhile):
        outcome = counterparty_recheck(run_id=run.pk, counterparty_id=counterparty.pk)
    assert outcome.result == Result.STORED
    person_check = VerificationCheck.objects.filter(trigger="user").get()
    alert = Alert.objects.get()
    assert (alert.kind, alert.previous_check_id) == (AlertKind.VALIDITY_REGAINED, person_check.pk)
    counterparty.refresh_from_db()
    assert (counterparty.status, counterparty.last_check_id) == ("valid", outcome.check.pk)
