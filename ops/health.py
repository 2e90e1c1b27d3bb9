"""Readiness: can this process serve, and is the background machinery keeping time?

Two kinds of check, with different consequences (docs/operations.md):

- **database** and **broker** decide readiness. Without them a request fails or its work is never queued,
  so the answer is 503 and a load balancer stops sending traffic here.
- **beat** and **monitoring** only *degrade* the answer (still 200). A web process taken out of rotation
  cannot restart beat or finish a run, and since every replica would see the same stale beat, failing
  them all would turn a background fault into an outage of the whole site. Operators are alerted on
  these from the metrics or from the `healthcheck` command (the beat container's healthcheck).

The beat check reads django-celery-beat's own record: its database scheduler stamps `last_run_at` on a
PeriodicTask each time it sends it, and writes the stamps back every few minutes (celery's `sync_every`,
180 s). With the reconciler every minute, a live beat keeps the freshest stamp within about four minutes;
`HEALTH_BEAT_MAX_AGE_SECONDS` allows for that. It proves beat is alive and can write; whether its messages
reach workers is the broker check's and the queue-length metric's business.

Every check has a short timeout of its own (the broker's below, the database's connect timeout in
settings) and answers only a status, timings and times: no host names, URLs or exception messages, which
can hold credentials, in an answer that needs no authentication.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from monitoring.models import MonitoringRun, RunTrigger
from monitoring.schedule import next_run_at

from .broker import queue_lengths

# How late the daily run may start (a backlog, a slow beat) before it counts as missed.
RUN_START_GRACE = timedelta(hours=1)


class Status(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    FAIL = "fail"


class Overall(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Probe:
    status: Status
    detail: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "duration_ms": round(self.duration_ms, 1), **self.detail}


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, Probe]

    # Checks whose failure makes the process unready (503); the others only degrade the answer.
    CRITICAL = ("database", "broker")

    @property
    def status(self) -> Overall:
        if any(self.checks[name].status != Status.OK for name in self.CRITICAL):
            return Overall.UNAVAILABLE
        if any(probe.status != Status.OK for probe in self.checks.values()):
            return Overall.DEGRADED
        return Overall.OK

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "checks": {name: probe.as_dict() for name, probe in self.checks.items()}}


def readiness(*, now: datetime | None = None) -> Readiness:
    """Run every check, each bounded by its own timeout; beat and monitoring need the database."""
    now = now or timezone.now()
    checks = {"database": _timed(check_database), "broker": _timed(check_broker)}
    for name, check in (("beat", check_beat), ("monitoring", check_monitoring)):
        if checks["database"].status == Status.OK:
            checks[name] = _timed(lambda check=check: check(now=now))
        else:
            checks[name] = Probe(Status.FAIL, {"error": "database unavailable"})
    return Readiness(checks)


def check_database() -> Probe:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Probe(Status.OK)


def check_broker() -> Probe:
    queues = queue_lengths(timeout=settings.HEALTH_BROKER_TIMEOUT)
    return Probe(Status.OK, {"queued": sum(queues.values())})


def check_beat(*, now: datetime) -> Probe:
    """The freshest `last_run_at` of the enabled periodic tasks, against HEALTH_BEAT_MAX_AGE."""
    last = last_beat_tick()
    if last is None:
        return Probe(Status.DEGRADED, {"last_tick": None})
    age = max(0.0, (now - last).total_seconds())
    status = Status.OK if age <= settings.HEALTH_BEAT_MAX_AGE.total_seconds() else Status.DEGRADED
    return Probe(status, {"last_tick": last.isoformat(), "age_seconds": round(age)})


def last_beat_tick() -> datetime | None:
    return PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]


def check_monitoring(*, now: datetime) -> Probe:
    """The latest run is finished and complete, or still within its window; the daily run was not missed."""
    run = MonitoringRun.objects.order_by("-started_at", "-id").first()
    if run is None:
        return Probe(Status.OK, {"last_run": None})
    state = run_state(run, now=now)
    detail: dict[str, Any] = {
        "last_run": {
            "state": state,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        }
    }
    missed = daily_run_missed(now=now)
    if missed is not None:
        detail["daily_run_missed_since"] = missed.isoformat()
    healthy = state in ("finished", "in_progress") and missed is None
    return Probe(Status.OK if healthy else Status.DEGRADED, detail)


def run_state(run: MonitoringRun, *, now: datetime) -> str:
    """finished, incomplete, in_progress, or overdue (unfinished past its window: the reconciler is not running)."""
    if run.is_finished:
        return "incomplete" if run.is_incomplete else "finished"
    return "overdue" if now - run.started_at >= settings.MONITORING_RUN_WINDOW else "in_progress"


def daily_run_missed(*, now: datetime) -> datetime | None:
    """When the daily run should have started, if it has not (nothing since the last scheduled one)."""
    last = MonitoringRun.objects.filter(trigger=RunTrigger.SCHEDULE).order_by("-started_at", "-id").first()
    if last is None:
        return None  # a new installation: nothing to compare with yet
    expected = next_run_at(last.started_at + timedelta(seconds=1))
    return expected if expected is not None and now > expected + RUN_START_GRACE else None


def _timed(check: Callable[[], Probe]) -> Probe:
    """Run one check; an exception is a failure named by its type only (its message may hold a URL)."""
    started = time.monotonic()
    try:
        probe = check()
    except Exception as exc:
        probe = Probe(Status.FAIL, {"error": type(exc).__name__})
    return Probe(probe.status, probe.detail, (time.monotonic() - started) * 1000)
