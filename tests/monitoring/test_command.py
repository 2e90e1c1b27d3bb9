"""`manage.py run_monitoring [--sync]`: a run now, with its summary printed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from crm.models import Alert, AlertKind
from monitoring.models import MonitoringRun, RunTrigger

from .conftest import add_monitored

# Committed for real, as in a shell: each chunk's messages leave when its transaction commits.
pytestmark = [pytest.mark.usefixtures("requester"), pytest.mark.django_db(transaction=True)]


def test_sync_rechecks_inline_and_prints_the_final_summary(sim, owner, settings, monkeypatch):
    settings.MONITORING_RETRY_MAX_RETRIES = 3
    backoffs: list[int] = []
    monkeypatch.setattr("monitoring.services.inline.retry_countdown", lambda attempt: backoffs.append(attempt) or 0)
    renamed, flaky = add_monitored(sim, owner.workspace, 1), add_monitored(sim, owner.workspace, 2)
    sim.registry.add(renamed.vat_number, "Renamed NV", "Rue du Commerce 1\n1000 Bruxelles")
    sim.set_fault(flaky.vat_number, "MS_UNAVAILABLE", times=2)
    out = StringIO()

    call_command("run_monitoring", "--sync", stdout=out)

    run = MonitoringRun.objects.get()
    assert run.trigger == RunTrigger.COMMAND_SYNC and run.is_finished
    assert (run.due, run.enqueued, run.checked, run.changed, run.retried, run.unverified) == (2, 2, 2, 1, 2, 0)
    assert list(Alert.objects.values_list("kind", flat=True)) == [AlertKind.NAME_CHANGED]
    # Each round's delay is fixed before it runs (its rows record when they are due again): rounds 0 to 2.
    assert backoffs == [1, 2, 3]
    assert out.getvalue().splitlines() == [
        "1 unverified (registry did not answer); retry round 1 in 0 s",
        "1 unverified (registry did not answer); retry round 2 in 0 s",
        run.summary(),
    ]
    assert "finished" in out.getvalue() and "checked=2 changed=1" in out.getvalue()


def test_without_sync_the_rechecks_go_to_the_workers(sim, owner, monkeypatch):
    sent = []
    monkeypatch.setattr("monitoring.tasks.monitoring_recheck.apply_async", lambda args, **kw: sent.append(args))
    counterparty = add_monitored(sim, owner.workspace, 1)
    out = StringIO()
    call_command("run_monitoring", stdout=out)
    run = MonitoringRun.objects.get()
    assert run.trigger == RunTrigger.COMMAND
    assert sent == [[run.pk, counterparty.pk]]
    lines = out.getvalue().splitlines()
    assert lines[0] == run.summary() and "in progress" in lines[0] and "enqueued=1" in lines[0]
    assert "workers" in lines[1]


def test_sync_with_no_retries_finishes_at_once_and_counts_the_unverified(sim, owner, monkeypatch):
    monkeypatch.setattr("monitoring.services.inline.retry_countdown", lambda attempt: pytest.fail("no retry wanted"))
    down = add_monitored(sim, owner.workspace, 1)
    sim.set_fault(down.vat_number, "MS_UNAVAILABLE")

    call_command("run_monitoring", "--sync", "--max-retries", "0", stdout=StringIO())

    run = MonitoringRun.objects.get()
    assert run.is_finished and (run.due, run.unverified) == (1, 1)
    assert not Alert.objects.exists()


def test_send_alerts_right_after_a_sync_run_sends_every_alert_at_once(sim, owner, monkeypatch, mailoutbox):
    """A box with no worker: the on-commit fan-out's message is never consumed; send_alerts must not wait."""
    monkeypatch.setattr("notifications.receivers.fan_out_alerts.delay", lambda alert_ids: None)
    withdrawn = [add_monitored(sim, owner.workspace, n) for n in range(3)]
    for counterparty in withdrawn:
        sim.registry.add(counterparty.vat_number, valid=False)
    call_command("run_monitoring", "--sync", stdout=StringIO())
    assert Alert.objects.filter(kind=AlertKind.VALIDITY_LOST).count() == 3 and mailoutbox == []

    out = StringIO()
    call_command("send_alerts", stdout=out)

    assert sorted(message.to[0] for message in mailoutbox) == [owner.user.email] * 3
    assert "3 sent" in out.getvalue()
    call_command("send_alerts", stdout=StringIO())
    assert len(mailoutbox) == 3  # nothing twice
