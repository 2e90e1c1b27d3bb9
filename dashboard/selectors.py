"""What the dashboard shows, read with aggregate queries only: counts and GROUP BYs, never rows one by one.

Past days come from the rollups (models.py) where a day is closed; the rest is counted live, so the page is
right even before the periodic task has run, and fast once it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek

from crm.models import Alert, CheckStatus, Counterparty, MonitoringFrequency, Severity, VerificationCheck, Workspace
from crm.vocabulary import day_and_month
from monitoring.models import MonitoringRun
from monitoring.schedule import next_run_at
from monitoring.selectors import WorkspaceShare, daily_run_task, runs_for_workspace, workspace_shares

from .models import CheckDay, ClosedDay, RegistryDay, StatusSnapshot
from .services import day_bounds, registry_results

CHECK_DAYS = 30
ALERT_WEEKS = 12
REGISTRY_DAYS = 14
RUN_SHARE_CACHE_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True)
class Headline:
    total: int
    valid: int
    invalid: int
    unchecked: int
    monitored: int
    open_alerts: int
    changes_7_days: int
    changes_30_days: int

    @property
    def monitored_share(self) -> int:
        """Per cent of the active counterparties that monitoring re-checks."""
        return round(100 * self.monitored / self.total) if self.total else 0


@dataclass(frozen=True)
class Schedule:
    next_run_at: datetime | None
    last_run: WorkspaceShare | None


@dataclass(frozen=True)
class Series:
    """One chart's data: labels along the x axis and, per named series, one value per label (None: no data)."""

    labels: list[str]
    values: dict[str, list[int | None]]
    # What each label stands for, in full, where the label is an abbreviation (a member state's code):
    # the charts' tooltips say it. Empty: the labels say it all.
    names: list[str] = field(default_factory=list)

    def name(self, index: int) -> str:
        return self.names[index] if index < len(self.names) else self.labels[index]


def headline(workspace: Workspace, now: datetime) -> Headline:
    # Counting indexed columns, not ids: every column read is in the index counterparty_active_status, so
    # this is an index-only scan. (Both are never null where the filters count them.)
    counts = (
        Counterparty.objects.for_workspace(workspace)
        .active()
        .aggregate(
            total=Count("*"),
            valid=Count("status", filter=Q(status=CheckStatus.VALID)),
            invalid=Count("status", filter=Q(status=CheckStatus.INVALID)),
            monitored=Count("monitoring", filter=~Q(monitoring=MonitoringFrequency.OFF)),
        )
    )
    alerts = Alert.objects.filter(workspace=workspace)
    changes = alerts.filter(created_at__gte=now - timedelta(days=30)).aggregate(
        last_7=Count("id", filter=Q(created_at__gte=now - timedelta(days=7))), last_30=Count("id")
    )
    return Headline(
        **counts,
        unchecked=counts["total"] - counts["valid"] - counts["invalid"],
        open_alerts=alerts.open().count(),
        changes_7_days=changes["last_7"],
        changes_30_days=changes["last_30"],
    )


def schedule(workspace: Workspace, now: datetime) -> Schedule:
    last = runs_for_workspace(workspace).order_by("-started_at", "-id").first()
    return Schedule(next_run_at=next_run_at(now, daily_run_task()), last_run=_share(workspace, last) if last else None)


def _share(workspace: Workspace, run: MonitoringRun) -> WorkspaceShare:
    """The workspace's share of a run, a GROUP BY over one re-check row per counterparty: a finished run's no
    longer changes, so it is kept in the cache rather than counted on every page."""
    if not run.is_finished:
        return workspace_shares(workspace, [run])[0]
    key = f"dashboard-run-share:{workspace.pk}:{run.pk}:{run.finished_at.timestamp()}"
    share = cache.get(key)
    if share is None:
        share = workspace_shares(workspace, [run])[0]
        cache.set(key, share, RUN_SHARE_CACHE_SECONDS)
    return share


def _days(today: date, count: int) -> list[date]:
    return [today - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


def _unclosed(days: list[date]) -> list[date]:
    closed = set(ClosedDay.objects.filter(day__range=(days[0], days[-1])).values_list("day", flat=True))
    return [day for day in days if day not in closed]


def status_over_time(workspace: Workspace, today: date, now_counts: Headline) -> Series:
    """The snapshots of the last 30 days, today's point from the live counts."""
    days = _days(today, CHECK_DAYS)
    snapshots = {
        row["day"]: row
        for row in StatusSnapshot.objects.filter(
            workspace=workspace, day__range=(days[0], days[-1] - timedelta(1))
        ).values("day", "valid", "invalid", "unchecked")
    }
    snapshots[today] = {"valid": now_counts.valid, "invalid": now_counts.invalid, "unchecked": now_counts.unchecked}
    return Series(
        labels=[day_and_month(day) for day in days],
        values={
            key: [snapshots[day][key] if day in snapshots else None for day in days]
            for key in ("valid", "invalid", "unchecked")
        },
    )


def checks_per_day(workspace: Workspace, today: date) -> Series:
    days = _days(today, CHECK_DAYS)
    counts: dict[tuple[date, str], int] = {
        (row["day"], row["status"]): row["checks"]
        for row in CheckDay.objects.filter(workspace=workspace, day__range=(days[0], days[-1])).values(
            "day", "status", "checks"
        )
    }
    if unclosed := _unclosed(days):
        live = (
            VerificationCheck.objects.filter(workspace=workspace, started_at__gte=day_bounds(unclosed[0])[0])
            .annotate(day=TruncDate("started_at"))
            .values("day", "overall_status")
            .annotate(n=Count("id"))
        )
        wanted = set(unclosed)
        counts.update({(row["day"], row["overall_status"]): row["n"] for row in live if row["day"] in wanted})
    return Series(
        labels=[day_and_month(day) for day in days],
        values={status: [counts.get((day, status), 0) for day in days] for status in CheckStatus.values},
    )


def alerts_per_week(workspace: Workspace, today: date) -> Series:
    this_week = today - timedelta(days=today.weekday())
    weeks = [this_week - timedelta(weeks=offset) for offset in range(ALERT_WEEKS - 1, -1, -1)]
    counts = {
        (row["week"], row["severity"]): row["n"]
        for row in Alert.objects.filter(workspace=workspace, created_at__gte=day_bounds(weeks[0])[0])
        .annotate(week=TruncWeek("created_at"))
        .values("week", "severity")
        .annotate(n=Count("id"))
    }
    # TruncWeek gives a datetime at the week's Monday, midnight UTC.
    by_day = {
        (week.date() if isinstance(week, datetime) else week, severity): n for (week, severity), n in counts.items()
    }
    return Series(
        labels=[day_and_month(week) for week in weeks],
        values={severity: [by_day.get((week, severity), 0) for week in weeks] for severity in Severity.values},
    )


@dataclass(frozen=True)
class Availability:
    country_code: str
    answers: int
    outages: int

    @property
    def answered_share(self) -> int:
        total = self.answers + self.outages
        return round(100 * self.answers / total) if total else 0

    @property
    def outage_share(self) -> int:
        return 100 - self.answered_share if self.answers + self.outages else 0


def registry_availability(today: date) -> list[Availability]:
    """Per member state over the last 14 days, from every check the installation made: the registry's
    availability is the same for every tenant. Shares only reach the page, so no workspace learns how many
    checks the others make."""
    days = _days(today, REGISTRY_DAYS)
    totals: dict[str, list[int]] = {}
    for row in (
        RegistryDay.objects.filter(day__range=(days[0], days[-1]))
        .values("country_code")
        .annotate(n_answers=Sum("answers"), n_outages=Sum("outages"))
    ):
        totals[row["country_code"]] = [row["n_answers"], row["n_outages"]]
    if unclosed := _unclosed(days):
        live = (
            registry_results()
            .filter(created_at__gte=day_bounds(unclosed[0])[0])
            .annotate(day=TruncDate("created_at"))
            .values("day", "country_code")
            .annotate(
                n_answers=Count("id", filter=Q(status__in=CheckStatus.definitive())),
                n_outages=Count("id", filter=Q(status=CheckStatus.UNVERIFIED)),
            )
        )
        wanted = set(unclosed)
        for row in live:
            if row["day"] in wanted:
                pair = totals.setdefault(row["country_code"], [0, 0])
                pair[0] += row["n_answers"]
                pair[1] += row["n_outages"]
    return [
        Availability(country_code=code, answers=answers, outages=outages)
        for code, (answers, outages) in sorted(totals.items())
        if answers + outages
    ]
