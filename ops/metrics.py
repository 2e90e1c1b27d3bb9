"""Prometheus metrics, read from the database and the broker when Prometheus scrapes.

Why a collector and not counters incremented in code: the numbers operators alert on (checks, outages,
deliveries, the nightly run) are already rows, written by web processes and Celery workers alike. Counters
kept in memory would be per process: gunicorn's workers and every Celery worker would each hold a part,
and a scrape reaches one of them. Reading the rows gives every scrape the whole truth, from any process.

Each query is cheap at 100,000 counterparties and 1,000,000 checks (docs/operations.md has the plans):
check results only from the last `METRICS_WINDOW_MINUTES`, by the `check_result_recent` index; deliveries
through the outbox's partial indexes (only pending, claimed or failed rows are in them); the latest
monitoring run and beat's periodic tasks are small tables. Windowed numbers are gauges ("in the last N
minutes"), not counters: use them as they are, not with rate().
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from crm.models import CheckResult, CheckStatus
from monitoring.models import MonitoringRun
from notifications.models import Delivery, DeliveryStatus

from .broker import queue_lengths
from .health import daily_run_missed, last_beat_tick, run_state

RUN_STATES = ("in_progress", "finished", "incomplete", "overdue")
RUN_COUNTS = ("due", "enqueued", "checked", "changed", "unverified", "skipped", "missed")
OUTAGE_STATUSES = (CheckStatus.UNVERIFIED, CheckStatus.ERROR)


class DatabaseCollector(Collector):
    """Every vatcrm_* series, computed at scrape time."""

    def describe(self) -> Iterable[Metric]:
        return []  # nothing to query when the registry is built

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield from check_metrics(since=now - settings.METRICS_WINDOW)
        yield from monitoring_metrics(now=now)
        yield from delivery_metrics(now=now)
        yield from beat_metrics()
        yield from broker_metrics()


def check_metrics(*, since: datetime) -> Iterator[Metric]:
    """Check results of the window by service, status and member state; registry latency and outages."""
    window = GaugeMetricFamily("vatcrm_metrics_window_seconds", "Length of the window of the windowed series.")
    window.add_metric([], settings.METRICS_WINDOW.total_seconds())
    yield window
    results = GaugeMetricFamily(
        "vatcrm_check_results",
        "Per-service results of the checks stored in the window, by status and member state.",
        labels=["service", "status", "country"],
    )
    outages = GaugeMetricFamily(
        "vatcrm_registry_unavailable",
        "Results in the window whose service could not answer (unverified or error), by error code.",
        labels=["service", "country", "error_code"],
    )
    latency_avg = GaugeMetricFamily(
        "vatcrm_registry_latency_seconds_avg", "Mean registry latency in the window.", labels=["service", "country"]
    )
    latency_max = GaugeMetricFamily(
        "vatcrm_registry_latency_seconds_max", "Slowest registry call in the window.", labels=["service", "country"]
    )
    rows = (
        CheckResult.objects.filter(created_at__gte=since)
        .values("service", "status", "error_code", "country_code")
        .annotate(n=Count("id"), timed=Count("latency_ms"), total_ms=Sum("latency_ms"), max_ms=Max("latency_ms"))
        .order_by()
    )
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    timing: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])  # calls, total, max (ms)
    for row in rows:
        service, country = row["service"], row["country_code"]
        counts[(service, row["status"], country)] += row["n"]
        if row["status"] in OUTAGE_STATUSES and row["error_code"]:
            outages.add_metric([service, country, row["error_code"]], row["n"])
        if row["timed"]:
            calls = timing[(service, country)]
            calls[0] += row["timed"]
            calls[1] += row["total_ms"]
            calls[2] = max(calls[2], row["max_ms"])
    for labels, n in sorted(counts.items()):
        results.add_metric(list(labels), n)
    for (service, country), (calls, total_ms, max_ms) in sorted(timing.items()):
        latency_avg.add_metric([service, country], total_ms / calls / 1000)
        latency_max.add_metric([service, country], max_ms / 1000)
    yield from (results, outages, latency_avg, latency_max)


def monitoring_metrics(*, now: datetime) -> Iterator[Metric]:
    """The latest monitoring run: its state, start, duration (so far, if unfinished) and totals."""
    missed = GaugeMetricFamily(
        "vatcrm_monitoring_daily_run_missed", "1 when the daily run should have started and has not."
    )
    missed.add_metric([], 1 if daily_run_missed(now=now) else 0)
    yield missed
    run = MonitoringRun.objects.order_by("-started_at", "-id").first()
    if run is None:
        return
    run.with_live_totals()  # a run in progress: counted from its Recheck rows, one aggregate
    state = GaugeMetricFamily(
        "vatcrm_monitoring_last_run_state", "1 for the state the latest run is in.", labels=["state"]
    )
    current = run_state(run, now=now)
    for name in RUN_STATES:
        state.add_metric([name], 1 if name == current else 0)
    started = GaugeMetricFamily("vatcrm_monitoring_last_run_started_timestamp_seconds", "When the latest run started.")
    started.add_metric([], run.started_at.timestamp())
    duration = GaugeMetricFamily(
        "vatcrm_monitoring_last_run_duration_seconds", "How long the latest run took, or has taken so far."
    )
    duration.add_metric([], ((run.finished_at or now) - run.started_at).total_seconds())
    counts = GaugeMetricFamily(
        "vatcrm_monitoring_last_run_counterparties", "Counterparties of the latest run, by outcome.", labels=["kind"]
    )
    for kind in RUN_COUNTS:
        counts.add_metric([kind], getattr(run, kind))
    alerts = GaugeMetricFamily("vatcrm_monitoring_last_run_alerts", "Alerts the latest run created.")
    alerts.add_metric([], run.alerts)
    yield from (state, started, duration, counts, alerts)


def delivery_metrics(*, now: datetime) -> Iterator[Metric]:
    """The outbox: rows pending, being sent and failed, and how long the oldest due row has waited."""
    deliveries = GaugeMetricFamily("vatcrm_deliveries", "Alert deliveries by status.", labels=["status"])
    # One query per status, so that each is answered from that status's partial index.
    for status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED):
        deliveries.add_metric([status], Delivery.objects.filter(status=status).count())
    yield deliveries
    due = Delivery.objects.due(now).aggregate(n=Count("id"), oldest=Min("next_attempt_at"))
    backlog = GaugeMetricFamily("vatcrm_deliveries_due", "Pending deliveries whose time to be sent has come.")
    backlog.add_metric([], due["n"])
    oldest = GaugeMetricFamily(
        "vatcrm_deliveries_oldest_due_age_seconds", "How long the oldest due delivery has been waiting (0: none)."
    )
    oldest.add_metric([], (now - due["oldest"]).total_seconds() if due["oldest"] else 0)
    yield from (backlog, oldest)


def beat_metrics() -> Iterator[Metric]:
    last = last_beat_tick()
    if last is not None:
        tick = GaugeMetricFamily(
            "vatcrm_beat_last_tick_timestamp_seconds", "When beat last sent a periodic task (as it recorded it)."
        )
        tick.add_metric([], last.timestamp())
        yield tick


def broker_metrics() -> Iterator[Metric]:
    """Queue lengths; an unreachable broker is `vatcrm_broker_up 0`, not a failed scrape."""
    up = GaugeMetricFamily("vatcrm_broker_up", "1 when the broker answered within its timeout.")
    try:
        queues = queue_lengths(timeout=settings.HEALTH_BROKER_TIMEOUT)
    except Exception:
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    yield up
    length = GaugeMetricFamily("vatcrm_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"])
    for name, n in queues.items():
        length.add_metric([name], n)
    yield length


def metrics_registry() -> CollectorRegistry:
    """Only our own series: per-process ones (memory, GC) would describe whichever worker answered."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return registry
