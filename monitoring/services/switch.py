"""Users turn monitoring on or off, for one counterparty or many selected in the CRM list."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from crm.models import ChangeAction, ChangeSource, Counterparty, MonitoringFrequency, Workspace
from crm.services.counterparties import counterparty_changes_record


@transaction.atomic
def counterparty_monitoring_set(
    *,
    workspace: Workspace,
    counterparty_ids: Iterable[int],
    frequency: str,
    actor: AbstractBaseUser | None = None,
    source: str = ChangeSource.WEB,
) -> int:
    """Set `frequency` (off, daily, weekly) on the workspace's counterparties among `counterparty_ids`.

    Ids of another workspace are ignored (the filter is the workspace's), and so are archived counterparties
    when monitoring is turned on: an archived one is never monitored. Turning monitoring on makes the
    counterparty due now, so the next run checks it; changing the frequency of a monitored one keeps its
    next due time unless the new frequency comes sooner. The rows are locked, and each one whose
    frequency changes gets a line in its audit trail (crm's CounterpartyChange) in the same transaction.
    Returns how many counterparties were updated.
    """
    frequency = MonitoringFrequency(frequency)
    counterparties = Counterparty.objects.filter(workspace=workspace, pk__in=list(counterparty_ids))
    if frequency != MonitoringFrequency.OFF:
        counterparties = counterparties.active()
    changing = [cp for cp in counterparties.select_for_update().order_by("pk") if cp.monitoring != frequency]
    counterparty_changes_record(
        counterparties=changing,
        actor=actor,
        action=ChangeAction.MONITORING,
        changes=[{"monitoring": [cp.monitoring, frequency.value]} for cp in changing],
        source=source,
    )
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
