"""Runs in the operators' console: totals, what is still pending, the rows behind them; read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from monitoring.models import MonitoringRun, Recheck, RecheckOutcome
from tests.factories import CounterpartyFactory, UserFactory, WorkspaceFactory


@pytest.fixture
def staff(db) -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_runs_show_their_totals_and_pending_rechecks(staff):
    workspace = WorkspaceFactory()
    run = MonitoringRun.objects.create(due=3, enqueued=3, checked=1)
    for finished in (timezone.now(), None, None):
        Recheck.objects.create(
            run=run,
            counterparty=CounterpartyFactory(workspace=workspace),
            workspace=workspace,
            finished_at=finished,
            outcome=RecheckOutcome.CHECKED if finished else RecheckOutcome.PENDING,
        )
    MonitoringRun.objects.create()  # an empty run: zero pending, not None

    response = staff.get(reverse("admin:monitoring_monitoringrun_changelist"))
    assert response.status_code == 200
    pending = {row.pk: row.pending_count for row in response.context["cl"].result_list}
    assert pending[run.pk] == 2 and sorted(pending.values()) == [0, 2]

    change = staff.get(reverse("admin:monitoring_monitoringrun_change", args=[run.pk])).content.decode()
    assert f"?run__exact={run.pk}" in change
    rechecks = staff.get(reverse("admin:monitoring_recheck_changelist"), {"run__exact": run.pk})
    assert rechecks.status_code == 200 and len(rechecks.context["cl"].result_list) == 3


def test_runs_cannot_be_added_or_edited(staff):
    run = MonitoringRun.objects.create()
    assert staff.get(reverse("admin:monitoring_monitoringrun_add")).status_code == 403
    assert staff.post(reverse("admin:monitoring_monitoringrun_change", args=[run.pk]), {"due": 5}).status_code == 403
