"""The fan-out: who is due, chunks, claims, the run's totals and its one summary line."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from crm.models import Counterparty
from monitoring.models import MonitoringRun, Recheck
from monitoring.schedule import next_run_at
from monitoring.services import run_fan_out, run_start
from monitoring.services.runs import due_for_claim
from tests.factories import CounterpartyFactory, WorkspaceFactory

from .conftest import add_monitored

pytestmark = pytest.mark.usefixtures("requester")


class Recorder:
    """A dispatch that keeps the chunks instead of sending messages."""

    def __init__(self) -> None:
        self.chunks: list[list[int]] = []

    def __call__(self, run: MonitoringRun, ids: list[int]) -> None:
        self.chunks.append(list(ids))

    @property
    def ids(self) -> list[int]:
        return [counterparty_id for chunk in self.chunks for counterparty_id in chunk]


def test_due_monitored_counterparties_are_claimed_in_chunks_once_each(owner, run_now):
    due = [
        CounterpartyFactory(workspace=owner.workspace, monitoring="daily", next_check_due_at=timezone.now())
        for _ in range(7)
    ]
    recorder = Recorder()
    run = run_now(dispatch=recorder, chunk_size=3)
    assert [len(chunk) for chunk in recorder.chunks] == [3, 3, 1]
    assert sorted(recorder.ids) == sorted(counterparty.pk for counterparty in due)
    assert Recheck.objects.filter(run=run).count() == 7
    assert run.due == 7 and run.fanned_out_at is not None


def test_not_due_not_monitored_and_never_scheduled_are_left_alone(owner, run_now):
    now = timezone.now()
    CounterpartyFactory(workspace=owner.workspace, monitoring="daily", next_check_due_at=now + timedelta(hours=1))
    CounterpartyFactory(workspace=owner.workspace, monitoring="off", next_check_due_at=now - timedelta(days=1))
    CounterpartyFactory(workspace=owner.workspace, monitoring="weekly", next_check_due_at=None)
    weekly = CounterpartyFactory(workspace=owner.workspace, monitoring="weekly", next_check_due_at=now)
    recorder = Recorder()
    run_now(dispatch=recorder)
    assert recorder.ids == [weekly.pk]


def test_all_workspaces_are_in_one_run(run_now):
    first, second = WorkspaceFactory(), WorkspaceFactory()
    for workspace in (first, second):
        CounterpartyFactory(workspace=workspace, monitoring="daily", next_check_due_at=timezone.now())
    run = run_now(dispatch=Recorder())
    assert set(Recheck.objects.filter(run=run).values_list("workspace", flat=True)) == {first.pk, second.pk}


def test_a_second_run_in_the_same_period_enqueues_nobody_again(owner, run_now):
    CounterpartyFactory.create_batch(3, workspace=owner.workspace, monitoring="daily", next_check_due_at=timezone.now())
    first, second = Recorder(), Recorder()
    run_now(dispatch=first)
    run = run_now(dispatch=second)
    assert len(first.ids) == 3 and second.ids == []
    assert (run.due, run.enqueued) == (0, 0) and run.is_finished


def test_claimed_counterparties_are_due_again_for_the_next_scheduled_run(owner, run_now, settings):
    counterparty = CounterpartyFactory(workspace=owner.workspace, monitoring="daily", next_check_due_at=timezone.now())
    run = run_now(dispatch=Recorder())
    counterparty.refresh_from_db()
    assert counterparty.next_check_due_at == run.daily_due_next
    next_scheduled = next_run_at(run.started_at + timedelta(seconds=1))
    assert run.started_at < counterparty.next_check_due_at <= next_scheduled
    assert list(Counterparty.objects.due(next_scheduled)) == [counterparty]
    assert list(Counterparty.objects.due(run.started_at)) == []


def test_the_run_counts_and_logs_one_summary_line(sim, owner, run_now, caplog):
    for n in range(3):
        add_monitored(sim, owner.workspace, n)
    sim.registry.add(Counterparty.objects.order_by("id").first().vat_number, valid=False)
    with caplog.at_level(logging.INFO, logger="monitoring"):
        run = run_now()
    assert (run.due, run.enqueued, run.checked, run.changed, run.alerts, run.unverified) == (3, 3, 3, 1, 1, 0)
    assert run.is_finished
    summaries = [record.getMessage() for record in caplog.records if record.name == "monitoring"]
    assert summaries == [run.summary()]
    assert "due=3 enqueued=3 checked=3 changed=1 unverified=0" in summaries[0]


def test_an_empty_run_finishes_at_once(run_now):
    run = run_now()
    assert run.is_finished and run.due == 0


def test_old_runs_are_pruned_when_a_run_starts(owner, settings):
    settings.MONITORING_RUN_RETENTION = timedelta(days=90)
    old = MonitoringRun.objects.create(started_at=timezone.now() - timedelta(days=91))
    recent = MonitoringRun.objects.create(started_at=timezone.now() - timedelta(days=89))
    run_start()
    assert set(MonitoringRun.objects.values_list("pk", flat=True)) - {old.pk} >= {recent.pk}
    assert not MonitoringRun.objects.filter(pk=old.pk).exists()


def test_a_tolerance_as_long_as_a_day_is_refused(settings):
    settings.MONITORING_SCHEDULE_TOLERANCE = timedelta(days=1)
    with pytest.raises(ImproperlyConfigured):
        run_fan_out(run=run_start(), dispatch=Recorder())


def test_the_claim_query_uses_the_partial_index(owner, require_postgres):
    CounterpartyFactory.create_batch(5, workspace=owner.workspace, monitoring="daily", next_check_due_at=timezone.now())
    run = run_start()
    with connection.cursor() as cursor:
        # A five-row table would be read whole, or through any index and sorted (the CRM list's partial
        # index on active rows is as cheap); on 100,000 rows the planner picks this one by itself
        # (benchmarks/monitoring_fanout.py prints the plan). Here: can the claim be served in index order?
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off")
    plan = due_for_claim(run, 500).explain()
    assert "counterparty_due_monitoring" in plan, plan
    assert "Sort" not in plan, plan  # index order is the claim order


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement claim is PostgreSQL's")
@pytest.mark.parametrize("claim", ["sql", "orm"])
def test_the_one_statement_claim_does_what_the_orm_claim_does(owner, claim):
    """PostgreSQL claims a chunk in one statement (monitoring/services/claim_sql.py), other databases in
    four; on the same rows both claim the same counterparties and leave the same rows behind."""
    from monitoring.services import claim_sql
    from monitoring.services.runs import _claim_chunk_orm

    now = timezone.now()
    daily = CounterpartyFactory.create_batch(3, workspace=owner.workspace, monitoring="daily", next_check_due_at=now)
    weekly = CounterpartyFactory(workspace=owner.workspace, monitoring="weekly", next_check_due_at=now)
    CounterpartyFactory(workspace=owner.workspace, monitoring="daily", next_check_due_at=now, archived_at=now)
    CounterpartyFactory(workspace=owner.workspace, monitoring="daily", next_check_due_at=now + timedelta(hours=1))
    run = run_start()
    if claim == "sql":
        ids = claim_sql.claim_chunk(run=run, due=due_for_claim(run, 10), now=now)
    else:
        ids = _claim_chunk_orm(run=run, size=10, now=now)
    assert sorted(ids) == sorted([c.pk for c in daily] + [weekly.pk])
    for counterparty in daily:
        counterparty.refresh_from_db()
        assert counterparty.next_check_due_at == run.daily_due_next
    weekly.refresh_from_db()
    assert weekly.next_check_due_at == run.weekly_due_next
    run.refresh_from_db()
    assert run.enqueued == 4 and run.fan_out_progress_at == now
    rows = Recheck.objects.filter(run=run)
    assert sorted(rows.values_list("counterparty_id", flat=True)) == sorted(ids)
    assert {(r.workspace_id, r.outcome, r.attempts, r.created_at, r.next_attempt_at) for r in rows} == {
        (owner.workspace.pk, "pending", 0, now, now)
    }
    assert not rows.exclude(dispatched_at=None).exists()


def test_the_sent_mark_finds_a_chunk_by_run_and_counterparty(owner, django_capture_on_commit_callbacks):
    from monitoring.services.runs import rechecks_mark_dispatched

    now = timezone.now()
    for _ in range(3):
        CounterpartyFactory(workspace=owner.workspace, monitoring="daily", next_check_due_at=now)
    recorder = Recorder()
    with django_capture_on_commit_callbacks(execute=True):
        run = run_fan_out(run=run_start(), dispatch=recorder)
    sent, not_sent = recorder.ids[:2], recorder.ids[2:]
    rechecks_mark_dispatched(run_id=run.pk, counterparty_ids=sent)
    rows = Recheck.objects.filter(run=run)
    assert sorted(rows.exclude(dispatched_at=None).values_list("counterparty_id", flat=True)) == sorted(sent)
    assert list(rows.filter(dispatched_at=None).values_list("counterparty_id", flat=True)) == not_sent
