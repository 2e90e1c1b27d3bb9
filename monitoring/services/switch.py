"""Users turn monitoring on or off, for one counterparty or many selected in the CRM list."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Case, F, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from crm.models import Counterparty, MonitoringFrequency, Workspace


def counterparty_monitoring_set(*, workspace: Workspace, counterparty_ids: Iterable[int], frequency: str) -> int:
    """Set `frequency` (off, daily, weekly) on the workspace's counterparties among `counterparty_ids`.

    Ids of another workspace are ignored (the filter is the workspace's). Turning monitoring on makes the
    counterparty due now, so the next run checks it; changing the frequency of a monitored one keeps its
    next due time unless the new frequency comes sooner. One UPDATE: no read-then-write to race with.
    Returns how many counterparties were updated.
    """
    frequency = MonitoringFrequency(frequency)
    counterparties = Counterparty.objects.filter(workspace=workspace, pk__in=list(counterparty_ids))
    if frequency == MonitoringFrequency.OFF:
        return counterparties.update(monitoring=frequency, next_check_due_at=None)
    now = timezone.now()
    moment = models.DateTimeField()
    return counterparties.update(
        monitoring=frequency,
        next_check_due_at=Case(
            When(monitoring=MonitoringFrequency.OFF, then=Value(now, output_field=moment)),
            When(next_check_due_at__isnull=True, then=Value(now, output_field=moment)),
            default=Least(F("next_check_due_at"), Value(now + frequency.interval, output_field=moment)),
            output_field=moment,
        ),
    )
