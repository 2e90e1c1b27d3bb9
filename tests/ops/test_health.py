"""Liveness answers without dependencies; readiness says what is wrong, 503 only for the database or broker."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from unittest import mock

import pytest
from celery import current_app
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from monitoring.models import MonitoringRun, RunTrigger
from monitoring.schedule import DAILY_RUN_TASK

pytestmark = pytest.mark.django_db


@pytest.fixture
def beat_ticked():
    """Beat recorded a send a minute ago, as its database scheduler does."""
    PeriodicTask.objects.filter(name=DAILY_RUN_TASK).update(last_run_at=timezone.now() - timedelta(minutes=1))


@pytest.fixture
def database_down() -> Iterator[None]:
    error = OperationalError('connection to server at "db" failed: password=hunter2')
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=error):
        yield


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A port that accepts connections and never answers: a broker that hangs, not one that refuses."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []

    def accept_and_say_nothing() -> None:
        with contextlib.suppress(OSError):  # the socket closed at the end of the test
            while True:
                held.append(server.accept()[0])

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for conn in held:
        conn.close()


def _use_broker(monkeypatch, url: str) -> None:
    monkeypatch.setattr(current_app.conf, "broker_url", url)


def test_liveness_needs_no_database(client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readiness_is_ok_when_everything_answers(client, beat_ticked):
    response = client.get("/healthz/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "broker": "ok",
        "beat": "ok",
        "monitoring": "ok",
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_readiness_is_503_when_the_database_fails_and_names_no_secret(client, database_down):
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"status": "fail", "duration_ms": mock.ANY, "error": "OperationalError"}
    assert body["checks"]["beat"]["status"] == body["checks"]["monitoring"]["status"] == "fail"
    assert "hunter2" not in response.content.decode() and "db" not in body["checks"]["database"]["error"]


def test_readiness_is_503_when_the_broker_refuses_and_names_no_secret(client, beat_ticked, monkeypatch):
    _use_broker(monkeypatch, "redis://:broker-secret@127.0.0.1:1/0")
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"]["status"] == "fail" and body["checks"]["database"]["status"] == "ok"
    assert "broker-secret" not in response.content.decode() and "6379" not in response.content.decode()


def test_a_broker_that_hangs_fails_within_the_timeout(client, beat_ticked, monkeypatch, settings, silent_broker):
    settings.HEALTH_BROKER_TIMEOUT = 0.5
    _use_broker(monkeypatch, silent_broker)
    started = time.monotonic()
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "fail"
    assert time.monotonic() - started < 3


def test_a_stale_beat_degrades_readiness_but_keeps_serving(client, settings):
    settings.HEALTH_BEAT_MAX_AGE = timedelta(minutes=10)
    PeriodicTask.objects.filter(name=DAILY_RUN_TASK).update(last_run_at=timezone.now() - timedelta(minutes=11))
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["beat"]["status"] == "degraded" and body["checks"]["beat"]["age_seconds"] >= 660


def test_a_beat_that_never_ran_is_degraded(client):
    assert not PeriodicTask.objects.exclude(last_run_at=None).exists()
    beat = client.get("/healthz/ready").json()["checks"]["beat"]
    assert beat["status"] == "degraded" and beat["last_tick"] is None


@pytest.mark.parametrize(
    ("started_hours_ago", "finished", "reason", "state", "status"),
    [
        (2, False, "", "in_progress", "ok"),
        (25, True, "", "finished", "ok"),
        (21, False, "", "overdue", "degraded"),
        (21, True, "its window of 20 hours ended", "incomplete", "degraded"),
    ],
)
def test_the_latest_monitoring_run(client, beat_ticked, settings, started_hours_ago, finished, reason, state, status):
    settings.MONITORING_RUN_WINDOW = timedelta(hours=20)
    now = timezone.now()
    MonitoringRun.objects.create(
        trigger=RunTrigger.COMMAND,
        started_at=now - timedelta(hours=started_hours_ago),
        finished_at=now - timedelta(hours=1) if finished else None,
        incomplete_reason=reason,
    )
    response = client.get("/healthz/ready")
    monitoring = response.json()["checks"]["monitoring"]
    assert response.status_code == 200, response.json()
    assert monitoring["status"] == status and monitoring["last_run"]["state"] == state
    assert "window" not in response.content.decode()  # the reason stays in the admin


def test_a_daily_run_that_did_not_start_is_degraded(client, beat_ticked):
    # The daily run fires at 02:00 UTC: one that started two days ago means yesterday's never did.
    started = timezone.now().replace(hour=2, minute=0, second=0, microsecond=0) - timedelta(days=2)
    MonitoringRun.objects.create(started_at=started, finished_at=started + timedelta(hours=1))
    monitoring = client.get("/healthz/ready").json()["checks"]["monitoring"]
    assert monitoring["status"] == "degraded" and monitoring["daily_run_missed_since"]


def test_probes_answer_plain_http_behind_the_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz/ready").status_code in (200, 503)
    assert client.get("/crm/").status_code == 301


def test_the_healthcheck_command_exits_non_zero_for_a_named_check_that_is_not_ok(capsys):
    with pytest.raises(CommandError, match="not ok: beat"):
        call_command("healthcheck", "beat")
    PeriodicTask.objects.filter(name=DAILY_RUN_TASK).update(last_run_at=timezone.now())
    call_command("healthcheck", "beat", "database")
    assert '"beat": {"status": "ok"' in capsys.readouterr().out
    with pytest.raises(CommandError, match="unknown checks: nope"):
        call_command("healthcheck", "nope")
