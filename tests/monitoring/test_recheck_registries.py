"""Monitoring of GB, Swiss and Norwegian counterparties, exactly as of EU ones: their registries are asked
through the simulator over HTTP; a withdrawal raises one critical alert, an outage none."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crm.models import Alert, AlertKind, CheckStatus, Counterparty, MonitoringFrequency, Severity
from tests.factories import CounterpartyFactory
from verification import uid
from verification.simulator import SimulatorServer
from verification.vat import normalise_vat

from .conftest import make_due

# (registry, key in the simulator, the counterparty's VAT number, registered name, registered address)
REGISTRIES = [
    ("hmrc", "GB844573897", "GB844573897", "THAMES VALLEY ENGINEERING LTD", "12 Riverside Way\nReading\nRG1 8AB"),
    ("uid", "CHE993738919", "CHE993738919", "Bergkristall Uhren AG", "Bahnhofstrasse 21\n8001 Zürich"),
    ("brreg", "NO966567031", "NO966567031MVA", "FJELLTOPP FISKERI AS", "Strandgaten 5\n5013 BERGEN"),
]
WITHDRAWALS = {"hmrc": {"valid": False}, "uid": {"valid": False}, "brreg": {"deleted": True}}


@pytest.fixture
def sim(registry_settings: SimulatorServer) -> SimulatorServer:
    uid.clear_cache()
    return registry_settings


def _monitored(owner, vat_number: str, name: str, address: str) -> Counterparty:
    return CounterpartyFactory(
        workspace=owner.workspace,
        vat_number=vat_number,
        country_code=normalise_vat(vat_number).country_code,
        name=name,
        monitoring=MonitoringFrequency.DAILY,
        next_check_due_at=timezone.now(),
        status=CheckStatus.VALID,
        registered_name=name,
        registered_address=address,
    )


@pytest.mark.parametrize(
    ("service", "key", "vat_number", "name", "address"), REGISTRIES, ids=[r[0] for r in REGISTRIES]
)
def test_a_withdrawal_raises_one_critical_alert(sim, owner, run_now, service, key, vat_number, name, address):
    counterparty = _monitored(owner, vat_number, name, address)
    run_now()
    baseline = counterparty.checks.get()
    assert baseline.overall_status == CheckStatus.VALID
    assert baseline.results.get(service=service).registered_name == name
    assert not Alert.objects.exists(), "the same name and address as before: nothing changed"

    sim.registry.schedule(key, at="2000-01-01T00:00:00Z", **WITHDRAWALS[service])
    make_due(counterparty)
    run = run_now()
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.before, alert.after) == (
        AlertKind.VALIDITY_LOST,
        Severity.CRITICAL,
        "valid",
        "invalid",
    )
    assert alert.previous_check == baseline and alert.check_run.results.get(service=service).status == "invalid"
    counterparty.refresh_from_db()
    assert counterparty.status == CheckStatus.INVALID
    assert (run.checked, run.changed, run.alerts) == (1, 1, 1)

    make_due(counterparty)
    run_now()
    assert Alert.objects.count() == 1, "still withdrawn the next day: no second alert"


@pytest.mark.parametrize(
    ("service", "key", "vat_number", "name", "address"), REGISTRIES, ids=[r[0] for r in REGISTRIES]
)
def test_an_outage_raises_nothing(sim, owner, run_now, settings, service, key, vat_number, name, address):
    settings.MONITORING_RETRY_MAX_RETRIES = 1
    counterparty = _monitored(owner, vat_number, name, address)
    sim.set_fault(key, "MS_UNAVAILABLE")
    run = run_now()
    assert set(counterparty.checks.values_list("overall_status", flat=True)) == {CheckStatus.UNVERIFIED}
    assert not Alert.objects.exists()
    counterparty.refresh_from_db()
    assert counterparty.status == CheckStatus.VALID, "what we knew stands"
    assert (run.checked, run.unverified, run.alerts) == (0, 1, 0)
