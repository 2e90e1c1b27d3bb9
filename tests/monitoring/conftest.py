"""Monitoring tests: monitored counterparties the registry simulator knows, and a way to run a run now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Counterparty, MonitoringFrequency, Workspace
from monitoring.models import MonitoringRun
from monitoring.services import run_fan_out, run_start
from tests.factories import CompanyFactory, CounterpartyFactory
from verification.simulator import SimulatorServer


def belgian_vat(n: int) -> str:
    """A well-formed Belgian VAT number with a correct check digit (97 - number mod 97), one per n."""
    body = f"{10_000_000 + n:08d}"
    return f"BE{body}{97 - int(body) % 97:02d}"


def add_monitored(
    simulator: SimulatorServer,
    workspace: Workspace,
    n: int,
    *,
    name: str | None = None,
    address: str | None = None,
    status: str | None = "valid",
    frequency: str = MonitoringFrequency.DAILY,
    **registry: object,
) -> Counterparty:
    """A monitored counterparty, due now, that the simulator knows; `status` is what we knew so far."""
    vat = belgian_vat(n)
    name = name or f"Supplier {n} NV"
    address = address or f"Rue du Commerce {n}\n1000 Bruxelles"
    simulator.registry.add(vat, name, address, **registry)
    return CounterpartyFactory(
        workspace=workspace,
        vat_number=vat,
        country_code="BE",
        name=name,
        monitoring=frequency,
        next_check_due_at=timezone.now() - timedelta(minutes=5),
        status=status,
        registered_name=name if status else None,
        registered_address=address if status else None,
    )


@pytest.fixture
def sim(vies_settings: SimulatorServer) -> SimulatorServer:
    return vies_settings


@pytest.fixture
def requester(owner):
    return CompanyFactory(workspace=owner.workspace, vat_number="IE6388047V", name="Requester Ltd")


@pytest.fixture
def run_now(django_capture_on_commit_callbacks) -> Callable[..., MonitoringRun]:
    """Start a run and fan it out; tasks run eagerly (tests/settings.py), on-commit work included."""

    def run(**options) -> MonitoringRun:
        with django_capture_on_commit_callbacks(execute=True):
            run = run_fan_out(run=run_start(), **options)
        run.refresh_from_db()
        return run

    return run


def make_due(*counterparties: Counterparty) -> None:
    """Move the clock of these counterparties to "due now", as if their period had passed."""
    ids = [counterparty.pk for counterparty in counterparties]
    queryset = Counterparty.objects.filter(pk__in=ids) if ids else Counterparty.objects.monitored()
    queryset.update(next_check_due_at=timezone.now() - timedelta(minutes=1))
