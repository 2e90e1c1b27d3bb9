"""Issue #4, point 6: real Celery worker on Redis, PostgreSQL, the registry simulator over HTTP.

200 monitored counterparties. The beat task's message starts each run; the worker fans out and
re-checks; the test only waits for the run to finish. The simulator answers at once and the retry
backoff is tiny, so the whole story takes seconds, not the minutes it would in production.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Alert, AlertKind, CheckStatus, Counterparty, MonitoringFrequency, Severity, VerificationCheck
from monitoring.models import MonitoringRun, Recheck, RecheckOutcome
from monitoring.services import run_key_prefix
from monitoring.tasks import monitoring_fan_out
from tests.factories import CompanyFactory, WorkspaceFactory

from .conftest import belgian_vat

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.services, pytest.mark.usefixtures("require_postgres")]

COUNT, WITHDRAWN, RENAMED = 200, range(0, 10), range(10, 15)
# Registry outages (not its concurrency faults: those make every worker pause for 10 s, their own test).
OUTAGES = ["MS_UNAVAILABLE", "SERVICE_UNAVAILABLE", "TIMEOUT"]


@pytest.fixture
def fast(settings):
    settings.REGISTRY_MAX_IN_FLIGHT_PER_STATE = 50  # all 200 are Belgian: one member state
    settings.MONITORING_RETRY_BASE_DELAY = timedelta(milliseconds=50)
    settings.MONITORING_RETRY_MAX_DELAY = timedelta(milliseconds=200)
    settings.MONITORING_RETRY_MAX_RETRIES = 10  # 0.3 ** 11 * 200: no counterparty stays unverified


def run_and_wait(timeout: float = 45.0) -> MonitoringRun:
    """Send the daily run's message, as beat does, and wait until the worker has finished the run."""
    before = MonitoringRun.objects.count()
    monitoring_fan_out.delay()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = MonitoringRun.objects.order_by("-id").first()
        if run is not None and MonitoringRun.objects.count() > before and run.is_finished:
            return run
        time.sleep(0.05)
    raise AssertionError(f"the run did not finish in {timeout:.0f} s: {MonitoringRun.objects.order_by('-id').first()}")


def make_all_due() -> None:
    """The next period has come (instead of waiting a day)."""
    Counterparty.objects.monitored().update(next_check_due_at=timezone.now() - timedelta(seconds=1))


def test_two_hundred_counterparties_through_a_real_worker(celery_worker_live, vies_settings, fast):
    simulator = vies_settings
    workspace = WorkspaceFactory()
    CompanyFactory(workspace=workspace)
    for n in range(COUNT):
        simulator.registry.add(belgian_vat(n), f"Supplier {n} NV", f"Rue du Commerce {n}\n1000 Bruxelles")
    Counterparty.objects.bulk_create(
        Counterparty(
            workspace=workspace,
            vat_number=belgian_vat(n),
            country_code="BE",
            name=f"Supplier {n}",
            monitoring=MonitoringFrequency.DAILY,
            next_check_due_at=timezone.now() - timedelta(minutes=1),
        )
        for n in range(COUNT)
    )

    # The first run learns what the registry says: a baseline, no alert.
    baseline = run_and_wait()
    assert (baseline.due, baseline.enqueued, baseline.checked, baseline.alerts) == (COUNT, COUNT, COUNT, 0)
    assert Counterparty.objects.filter(status=CheckStatus.VALID).count() == COUNT

    # The registry withdraws 10 registrations and renames 5 companies.
    for n in WITHDRAWN:
        simulator.registry.add(belgian_vat(n), valid=False)
    for n in RENAMED:
        simulator.registry.add(belgian_vat(n), f"Supplier {n} Holding NV", f"Rue du Commerce {n}\n1000 Bruxelles")
    make_all_due()
    changes = run_and_wait()
    alerts = Alert.objects.filter(check_run__idempotency_key__startswith=run_key_prefix(changes.pk))
    assert alerts.filter(kind=AlertKind.VALIDITY_LOST, severity=Severity.CRITICAL).count() == 10
    assert alerts.filter(kind=AlertKind.NAME_CHANGED).count() == 5
    assert alerts.count() == 15 == Alert.objects.count()
    assert set(alerts.filter(kind=AlertKind.VALIDITY_LOST).values_list("counterparty__vat_number", flat=True)) == {
        belgian_vat(n) for n in WITHDRAWN
    }
    assert (changes.checked, changes.changed, changes.alerts, changes.unverified) == (COUNT, 15, 15, 0)

    # Nothing changed since: nothing to say.
    make_all_due()
    quiet = run_and_wait()
    assert quiet.checked == COUNT and quiet.alerts == 0 and Alert.objects.count() == 15

    # 30% of registry calls fail: no false alert, and the unverified ones are asked again until answered.
    simulator.set_fault_rate(0.3, seed=1, codes=OUTAGES)
    make_all_due()
    stormy = run_and_wait()
    assert Alert.objects.count() == 15 and stormy.alerts == 0
    unverified_attempts = VerificationCheck.objects.filter(
        idempotency_key__startswith=run_key_prefix(stormy.pk), overall_status=CheckStatus.UNVERIFIED
    ).count()
    assert COUNT * 0.15 < unverified_attempts == stormy.retried  # about 30%, each one retried
    retried = Recheck.objects.filter(run=stormy, attempts__gt=1)
    assert retried.exists() and not retried.exclude(outcome=RecheckOutcome.CHECKED).exists()
    assert (stormy.checked, stormy.unverified) == (COUNT, 0)
    assert Counterparty.objects.filter(status=CheckStatus.INVALID).count() == 10  # what we knew stands
