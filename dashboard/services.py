"""The dashboard's writes: the daily rollups (a periodic task) and acknowledging alerts (people)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from crm.models import Alert, CheckResult, CheckStatus, MonitoringFrequency, VerificationCheck, Workspace

from .models import CheckDay, ClosedDay, RegistryDay, StatusSnapshot

logger = logging.getLogger(__name__)

# A day is closed this long after it ended: longer than any check may run (task time limits), so that no
# check that started in it is still to be stored.
CLOSE_AFTER = timedelta(hours=1)
# The longest chart window (checks per day, status over time) and one day to spare.
HISTORY_DAYS = 31
FORMAT_SERVICE = "format"  # format rules, not a registry: no part of a registry's availability


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def registry_results():
    """The results a registry gave (or failed to give), by member state: the source of availability."""
    return CheckResult.objects.exclude(service=FORMAT_SERVICE).exclude(country_code="")


def rollups_refresh(*, now: datetime | None = None) -> list[date]:
    """Take today's status snapshot of every workspace and close the past days not closed yet.

    Returns the days it closed. Safe to run twice at once: a day is closed by one of them.
    """
    now = now or timezone.now()
    statuses_snapshot(day=now.date(), taken_at=now)
    last = (now - CLOSE_AFTER).date() - timedelta(days=1)
    first = now.date() - timedelta(days=HISTORY_DAYS)
    done = set(ClosedDay.objects.filter(day__range=(first, last)).values_list("day", flat=True))
    closed = []
    day = first
    while day <= last:
        if day not in done and day_close(day=day):
            closed.append(day)
        day += timedelta(days=1)
    return closed


def statuses_snapshot(*, day: date, taken_at: datetime) -> int:
    """Every workspace's active counterparties by status, kept as its row for `day` (one GROUP BY)."""
    active = Q(counterparties__archived_at__isnull=True)
    counted = Workspace.objects.annotate(
        n_valid=Count("counterparties", filter=active & Q(counterparties__status=CheckStatus.VALID)),
        n_invalid=Count("counterparties", filter=active & Q(counterparties__status=CheckStatus.INVALID)),
        n_total=Count("counterparties", filter=active),
        n_monitored=Count("counterparties", filter=active & ~Q(counterparties__monitoring=MonitoringFrequency.OFF)),
    ).values("pk", "n_valid", "n_invalid", "n_total", "n_monitored")
    snapshots = [
        StatusSnapshot(
            workspace_id=row["pk"],
            day=day,
            valid=row["n_valid"],
            invalid=row["n_invalid"],
            unchecked=row["n_total"] - row["n_valid"] - row["n_invalid"],
            monitored=row["n_monitored"],
            taken_at=taken_at,
        )
        for row in counted
    ]
    StatusSnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["workspace", "day"],
        update_fields=["valid", "invalid", "unchecked", "monitored", "taken_at"],
    )
    return len(snapshots)


def day_close(*, day: date) -> bool:
    """Count one past day's checks per workspace and registry answers per member state; False if taken."""
    start, end = day_bounds(day)
    try:
        with transaction.atomic():
            # First, so that a second closer of the same day waits here and then gives up.
            ClosedDay.objects.create(day=day)
            checks = (
                VerificationCheck.objects.filter(started_at__gte=start, started_at__lt=end)
                .values("workspace_id", "overall_status")
                .annotate(n=Count("id"))
            )
            CheckDay.objects.bulk_create(
                CheckDay(workspace_id=row["workspace_id"], day=day, status=row["overall_status"], checks=row["n"])
                for row in checks
            )
            registries = (
                registry_results()
                .filter(created_at__gte=start, created_at__lt=end)
                .values("country_code")
                .annotate(
                    n_answers=Count("id", filter=Q(status__in=CheckStatus.definitive())),
                    n_outages=Count("id", filter=Q(status=CheckStatus.UNVERIFIED)),
                )
            )
            RegistryDay.objects.bulk_create(
                RegistryDay(
                    day=day, country_code=row["country_code"], answers=row["n_answers"], outages=row["n_outages"]
                )
                for row in registries
            )
    except IntegrityError:
        logger.info("dashboard: %s was closed by another refresh", day)
        return False
    return True


def alerts_acknowledge(*, workspace: Workspace, alert_ids: list[int], user, comment: str = "") -> int:
    """Acknowledge the workspace's open alerts among `alert_ids`; returns how many this call acknowledged.

    One conditional UPDATE: an alert acknowledged already keeps who did it first, when, and their comment,
    and another workspace's ids match nothing.
    """
    return (
        Alert.objects.filter(workspace=workspace, pk__in=alert_ids)
        .open()
        .update(acknowledged_at=timezone.now(), acknowledged_by=user, acknowledgement_comment=comment.strip())
    )
