"""Seed a fault-injection database, in a child process on the private services: `python -m tests.faults.seed N`.

One workspace whose owner and teammate both want every alert by email at once, a requester company, and
the N counterparties of population.py, monitored daily, due now, with what the registry said last time
(so that this run is a normal night, not a first one). The beat schedule is made fast and quiet: the
reconciler every RECONCILE_EVERY seconds, the delivery sweep every SWEEP_EVERY seconds, the daily run and
the digests off (the test starts the run itself).
"""

from __future__ import annotations

import sys
from datetime import timedelta

RECONCILE_EVERY = 2
SWEEP_EVERY = 5


def seed(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from crm.models import CheckStatus, Company, Counterparty, Membership, MonitoringFrequency, Role, Workspace
    from notifications.models import DeliveryMode, NotificationPreference

    from .population import population

    workspace = Workspace.objects.create(name="Fault injection", slug="fault-injection")
    Company.objects.create(workspace=workspace, name="Requester Ltd", vat_number="IE6388047V")
    for username, role in (("owner", Role.OWNER), ("teammate", Role.MEMBER)):
        user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com")
        Membership.objects.create(workspace=workspace, user=user, role=role)
        NotificationPreference.objects.create(user=user, workspace=workspace, mode=DeliveryMode.IMMEDIATE)
    due = timezone.now() - timedelta(minutes=5)
    Counterparty.objects.bulk_create(
        Counterparty(
            workspace=workspace,
            vat_number=member.vat,
            country_code=member.vat[:2],
            name=member.name,
            registered_name=member.name,
            registered_address=member.address,
            status=CheckStatus.VALID,
            monitoring=MonitoringFrequency.DAILY,
            next_check_due_at=due + timedelta(milliseconds=member.n),  # the fan-out follows the population
        )
        for member in population(count)
    )


def fast_beat() -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    from monitoring.schedule import DAILY_RUN_TASK
    from monitoring.tasks import RECONCILE_TASK
    from notifications.tasks import send_daily_digests, send_pending_deliveries

    reconcile = IntervalSchedule.objects.create(every=RECONCILE_EVERY, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task=RECONCILE_TASK).update(interval=reconcile, expire_seconds=RECONCILE_EVERY * 5)
    sweep = IntervalSchedule.objects.create(every=SWEEP_EVERY, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task=send_pending_deliveries.name).update(interval=sweep)
    PeriodicTask.objects.filter(name=DAILY_RUN_TASK).update(enabled=False)
    PeriodicTask.objects.filter(task=send_daily_digests.name).update(enabled=False)
    PeriodicTasks.update_changed()


if __name__ == "__main__":
    import django

    django.setup()
    seed(int(sys.argv[1]))
    fast_beat()
