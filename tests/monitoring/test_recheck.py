"""The re-check against the registry simulator over HTTP: what it stores, which alerts, and when not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import (
    Alert,
    AlertKind,
    CheckStatus,
    CheckTrigger,
    Counterparty,
    MonitoringFrequency,
    Severity,
    VerificationCheck,
)
from crm.signals import alerts_created
from monitoring.models import Recheck, RecheckOutcome
from monitoring.schedule import next_due_after
from monitoring.services import Result, counterparty_recheck, recheck_key
from monitoring.tasks import monitoring_recheck

from .conftest import add_monitored, make_due

pytestmark = pytest.mark.usefixtures("requester")


def test_a_first_run_is_the_baseline(sim, owner, run_now):
    counterparty = add_monitored(sim, owner.workspace, 1, status=None)
    run = run_now()
    counterparty.refresh_from_db()
    check = counterparty.checks.get()
    assert (check.overall_status, check.trigger) == (CheckStatus.VALID, CheckTrigger.MONITORING)
    assert check.idempotency_key == recheck_key(run.pk, counterparty.pk, 0)
    assert counterparty.status == CheckStatus.VALID and counterparty.registered_name == "Supplier 1 NV"
    assert not Alert.objects.exists()
    assert (run.checked, run.changed, run.alerts, run.is_finished) == (1, 0, 0, True)


def test_validity_lost_is_one_critical_alert_against_the_previous_definitive_check(sim, owner, run_now):
    counterparty = add_monitored(sim, owner.workspace, 1)
    run_now()
    baseline = counterparty.checks.get()
    sim.registry.add(counterparty.vat_number, valid=False)
    make_due(counterparty)

    run = run_now()
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.before, alert.after) == (
        AlertKind.VALIDITY_LOST,
        Severity.CRITICAL,
        "valid",
        "invalid",
    )
    assert alert.previous_check == baseline and alert.check_run.overall_status == CheckStatus.INVALID
    assert alert.workspace == owner.workspace
    counterparty.refresh_from_db()
    assert counterparty.status == CheckStatus.INVALID
    assert (run.checked, run.changed, run.alerts) == (1, 1, 1)
    assert Recheck.objects.get(run=run).changed


def test_validity_regained_is_info(sim, owner, run_now):
    add_monitored(sim, owner.workspace, 1, status=CheckStatus.INVALID)
    run_now()
    assert list(Alert.objects.values_list("kind", "severity")) == [(AlertKind.VALIDITY_REGAINED, Severity.INFO)]


def test_rename_and_move_are_warnings_with_before_and_after(sim, owner, run_now):
    counterparty = add_monitored(sim, owner.workspace, 1)
    sim.registry.add(counterparty.vat_number, "Supplier One NV", "Avenue Louise 2\n1050 Ixelles")
    run_now()
    alerts = {alert.kind: alert for alert in Alert.objects.all()}
    assert set(alerts) == {AlertKind.NAME_CHANGED, AlertKind.ADDRESS_CHANGED}
    assert (alerts[AlertKind.NAME_CHANGED].before, alerts[AlertKind.NAME_CHANGED].after) == (
        "Supplier 1 NV",
        "Supplier One NV",
    )
    assert alerts[AlertKind.ADDRESS_CHANGED].severity == Severity.WARNING
    counterparty.refresh_from_db()
    assert counterparty.registered_name == "Supplier One NV"


def test_a_reformatted_name_is_not_a_change(sim, owner, run_now):
    counterparty = add_monitored(sim, owner.workspace, 1, name="Supplier 1 N.V.")
    sim.registry.add(counterparty.vat_number, "SUPPLIER 1 NV", "RUE DU COMMERCE 1, 1000 BRUXELLES")
    run_now()
    assert not Alert.objects.exists()


def test_a_withheld_name_is_not_a_change_and_the_last_disclosed_one_stays(sim, owner, run_now):
    counterparty = add_monitored(sim, owner.workspace, 1)
    sim.registry.schedule(counterparty.vat_number, at=timezone.now() - timedelta(seconds=1), withhold=True)
    run_now()
    assert counterparty.checks.get().results.get(service="vies").registered_name is None  # '---' on the wire
    assert not Alert.objects.exists()
    counterparty.refresh_from_db()
    assert counterparty.registered_name == "Supplier 1 NV"

    # Disclosed again, unchanged: still nothing.
    sim.registry.add(counterparty.vat_number, "Supplier 1 NV", "Rue du Commerce 1\n1000 Bruxelles")
    make_due(counterparty)
    run_now()
    assert not Alert.objects.exists()


def test_an_outage_is_retried_and_raises_nothing(sim, owner, run_now, settings):
    settings.MONITORING_RETRY_MAX_RETRIES = 2
    counterparty = add_monitored(sim, owner.workspace, 1)
    sim.set_fault(counterparty.vat_number, "MS_UNAVAILABLE")
    run = run_now()

    statuses = list(counterparty.checks.order_by("id").values_list("overall_status", "idempotency_key"))
    assert statuses == [("unverified", recheck_key(run.pk, counterparty.pk, attempt)) for attempt in range(3)]
    assert not Alert.objects.exists()
    counterparty.refresh_from_db()
    assert counterparty.status == CheckStatus.VALID  # what we knew stands
    assert counterparty.retry_at is None  # crm's own retry is not scheduled for monitoring checks
    assert counterparty.next_check_due_at == run.next_due_for(MonitoringFrequency.DAILY)
    recheck = Recheck.objects.get(run=run)
    assert (recheck.outcome, recheck.attempts) == (RecheckOutcome.UNVERIFIED, 3)
    assert (run.checked, run.unverified, run.retried, run.alerts, run.is_finished) == (0, 1, 2, 0, True)


def test_an_outage_that_ends_during_the_retries(sim, owner, run_now):
    counterparty = add_monitored(sim, owner.workspace, 1)
    sim.set_fault(counterparty.vat_number, "MS_UNAVAILABLE", times=1)
    sim.registry.add(counterparty.vat_number, valid=False)
    run = run_now()
    assert list(counterparty.checks.order_by("id").values_list("overall_status", flat=True)) == [
        "unverified",
        "invalid",
    ]
    assert list(Alert.objects.values_list("kind", flat=True)) == [AlertKind.VALIDITY_LOST]
    assert (run.checked, run.unverified, run.retried, run.changed) == (1, 0, 1, 1)


@pytest.mark.parametrize("frequency", [MonitoringFrequency.DAILY, MonitoringFrequency.WEEKLY])
def test_the_next_due_time_moves_on_by_the_frequency_from_the_run_start(sim, owner, run_now, frequency):
    counterparty = add_monitored(sim, owner.workspace, 1, frequency=frequency)
    run = run_now()
    counterparty.refresh_from_db()
    # The run's due time for the frequency (fixed at its start: tests/monitoring/test_due_times.py).
    assert counterparty.next_check_due_at == run.next_due_for(frequency)
    assert run.next_due_for(frequency) == next_due_after(run.started_at, frequency)


def test_unverifiable_for_too_long_alerts_once_per_outage(sim, owner, run_now, settings, time_machine):
    settings.MONITORING_RETRY_MAX_RETRIES = 0
    settings.MONITORING_UNVERIFIABLE_ALERT_AFTER = timedelta(hours=72)
    start = timezone.now()
    counterparty = add_monitored(sim, owner.workspace, 1)
    run_now()  # a definitive baseline

    def run_on_day(day: int) -> list[str]:
        time_machine.move_to(start + timedelta(days=day))
        make_due(counterparty)
        run_now()
        return list(Alert.objects.order_by("id").values_list("kind", flat=True))

    sim.set_fault(counterparty.vat_number, "MS_UNAVAILABLE")
    assert run_on_day(1) == [] and run_on_day(3) == []
    assert run_on_day(5) == [AlertKind.UNVERIFIABLE]  # unreachable since day 1: more than 72 hours
    assert run_on_day(6) == [AlertKind.UNVERIFIABLE]  # the same outage: said once
    alert = Alert.objects.get()
    assert alert.severity == Severity.WARNING and alert.before == "valid" and "since" in alert.after

    sim.set_fault(counterparty.vat_number, None)
    assert run_on_day(7) == [AlertKind.UNVERIFIABLE]  # the registry answers: the streak ends, no alert
    sim.set_fault(counterparty.vat_number, "MS_UNAVAILABLE")
    assert run_on_day(8) == [AlertKind.UNVERIFIABLE]
    assert run_on_day(12) == [AlertKind.UNVERIFIABLE, AlertKind.UNVERIFIABLE]  # a new outage, a new alert


def test_alerts_are_announced_inside_the_transaction_that_stores_them(sim, owner, run_now):
    seen = []

    def receiver(sender, alerts, **kwargs):
        seen.append(([alert.pk is not None for alert in alerts], connection.in_atomic_block))

    counterparty = add_monitored(sim, owner.workspace, 1)
    sim.registry.add(counterparty.vat_number, "Renamed NV", "Avenue Louise 2\n1050 Ixelles")
    alerts_created.connect(receiver)
    try:
        run_now()
    finally:
        alerts_created.disconnect(receiver)
    assert seen == [([True, True], True)]  # one signal for both alerts, saved, inside the transaction


def test_the_same_message_twice_is_one_check_and_one_alert(sim, owner, run_now):
    counterparty = add_monitored(sim, owner.workspace, 1)
    sim.registry.add(counterparty.vat_number, valid=False)
    run = run_now()
    monitoring_recheck.apply(args=[run.pk, counterparty.pk])  # redelivered after it was done
    assert counterparty.checks.count() == 1 and Alert.objects.count() == 1
    run.refresh_from_db()
    assert (run.checked, run.alerts) == (1, 1)


def test_an_attempt_already_stored_is_not_stored_again(sim, owner, run_now, settings, monkeypatch):
    """Even before its Recheck row is finished (an unverified attempt that will be retried)."""
    counterparty = add_monitored(sim, owner.workspace, 1)
    monkeypatch.setattr("monitoring.services.runs.enqueue_rechecks", lambda run, ids: None)
    run = run_now(dispatch=lambda run, ids: None)
    sim.set_fault(counterparty.vat_number, "MS_UNAVAILABLE")
    first = counterparty_recheck(run_id=run.pk, counterparty_id=counterparty.pk, attempt=0, final=False)
    second = counterparty_recheck(run_id=run.pk, counterparty_id=counterparty.pk, attempt=0, final=False)
    assert (first.result, first.retry, second.result) == (Result.STORED, True, Result.DUPLICATE)
    assert VerificationCheck.objects.count() == 1
    run.refresh_from_db()
    assert run.with_live_totals().retried == 1, "a run in progress counts its totals from its rows"


def test_a_deleted_counterparty_is_skipped_quietly_and_the_run_completes(
    sim, owner, run_now, django_capture_on_commit_callbacks
):
    counterparty = add_monitored(sim, owner.workspace, 1)
    run = run_now(dispatch=lambda run, ids: None)  # claimed, message not yet delivered
    assert not run.is_finished
    counterparty.delete()
    with django_capture_on_commit_callbacks(execute=True):  # the run completes once the re-check commits
        monitoring_recheck.apply(args=[run.pk, counterparty.pk])
    run.refresh_from_db()
    assert run.is_finished and run.checked == 0


def test_monitoring_turned_off_after_the_claim_is_skipped(sim, owner, run_now, django_capture_on_commit_callbacks):
    counterparty = add_monitored(sim, owner.workspace, 1)
    run = run_now(dispatch=lambda run, ids: None)
    counterparty.monitoring = MonitoringFrequency.OFF
    counterparty.save()
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_recheck.apply(args=[run.pk, counterparty.pk])
    run.refresh_from_db()
    assert (run.skipped, run.is_finished) == (1, True)
    assert not counterparty.checks.exists() and Recheck.objects.get().outcome == RecheckOutcome.SKIPPED


def test_a_stored_number_our_format_rules_now_refuse_is_an_error_not_a_lost_registration(sim, owner, run_now):
    """A python-stdnum upgrade may refuse a number it accepted before: that is not the registry's verdict."""
    counterparty = add_monitored(sim, owner.workspace, 1)
    Counterparty.objects.filter(pk=counterparty.pk).update(vat_number="BE12")  # as a stricter rule would see it
    run_now()
    counterparty.refresh_from_db()
    assert counterparty.status == CheckStatus.VALID  # what the registry said stands
    assert not Alert.objects.exists()
    assert set(counterparty.checks.values_list("overall_status", flat=True)) == {CheckStatus.ERROR}
