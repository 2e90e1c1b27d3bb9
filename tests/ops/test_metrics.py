"""/metrics: only for a token or an allowed network; every series read from the rows at scrape time."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from celery import current_app
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from prometheus_client.parser import text_string_to_metric_families

from crm.models import CheckResult, CheckStatus
from monitoring.models import MonitoringRun, Recheck, RecheckOutcome
from monitoring.schedule import DAILY_RUN_TASK
from tests.factories import CheckResultFactory, CounterpartyFactory, VerificationCheckFactory
from tests.notifications.factories import DeliveryFactory

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def scrape() -> dict[tuple[str, tuple], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return scrape


def _result(country: str, *, service="vies", status=CheckStatus.VALID, error_code="", latency_ms=None, ago=None):
    counterparty = CounterpartyFactory(vat_number=f"{country}{CheckResult.objects.count():09d}")
    check = VerificationCheckFactory(counterparty=counterparty)
    result = CheckResultFactory(
        check_run=check, service=service, status=status, error_code=error_code, latency_ms=latency_ms
    )
    if ago is not None:
        CheckResult.objects.filter(pk=result.pk).update(created_at=timezone.now() - ago)
    return result


def test_metrics_are_off_until_a_token_or_a_network_is_set(client):
    assert client.get("/metrics").status_code == 404


def test_a_wrong_or_missing_token_is_401(client, settings):
    settings.METRICS_TOKEN = TOKEN
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer nope"}, {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"}):
        response = client.get("/metrics", **headers)
        assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [("10.1.2.3", True), ("::ffff:10.1.2.3", True), ("192.168.1.5", False), ("not-an-address", False)],
)
def test_an_allowed_network_is_the_peer_address_not_a_forwarded_header(client, settings, peer, allowed):
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    response = client.get("/metrics", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == (200 if allowed else 401)


def test_check_results_of_the_window_by_service_status_and_member_state(scrape, settings):
    settings.METRICS_WINDOW = timedelta(minutes=15)
    _result("DE", latency_ms=200)
    _result("DE", latency_ms=400)
    _result("DE", status=CheckStatus.UNVERIFIED, error_code="MS_UNAVAILABLE", latency_ms=5000)
    _result("FR", status=CheckStatus.UNVERIFIED, error_code="RATE_LIMITED")
    _result("FR", service="format", status=CheckStatus.VALID)
    _result("FR", latency_ms=9000, ago=timedelta(hours=1))  # before the window: not counted

    metrics = scrape()
    assert metrics[("vatcrm_metrics_window_seconds", ())] == 900
    assert metrics[("vatcrm_check_results", (("country", "DE"), ("service", "vies"), ("status", "valid")))] == 2
    assert metrics[("vatcrm_check_results", (("country", "DE"), ("service", "vies"), ("status", "unverified")))] == 1
    assert metrics[("vatcrm_check_results", (("country", "FR"), ("service", "format"), ("status", "valid")))] == 1
    assert ("vatcrm_check_results", (("country", "FR"), ("service", "vies"), ("status", "valid"))) not in metrics
    outage = (("country", "DE"), ("error_code", "MS_UNAVAILABLE"), ("service", "vies"))
    assert metrics[("vatcrm_registry_unavailable", outage)] == 1
    limited = (("country", "FR"), ("error_code", "RATE_LIMITED"), ("service", "vies"))
    assert metrics[("vatcrm_registry_unavailable", limited)] == 1
    de = (("country", "DE"), ("service", "vies"))
    assert metrics[("vatcrm_registry_latency_seconds_avg", de)] == pytest.approx(5.6 / 3)
    assert metrics[("vatcrm_registry_latency_seconds_max", de)] == 5.0
    assert ("vatcrm_registry_latency_seconds_max", (("country", "FR"), ("service", "vies"))) not in metrics


def test_the_latest_monitoring_run(scrape):
    now = timezone.now()
    MonitoringRun.objects.create(started_at=now - timedelta(days=1), finished_at=now - timedelta(hours=23))
    run = MonitoringRun.objects.create(started_at=now - timedelta(minutes=10), due=10, enqueued=10)
    for n in range(10):  # in progress: 4 checked (one of them with an alert), 6 pending
        counterparty = CounterpartyFactory()
        done = {"outcome": RecheckOutcome.CHECKED, "attempts": 1, "finished_at": now} if n < 4 else {}
        Recheck.objects.create(
            run=run, counterparty=counterparty, workspace=counterparty.workspace, alerts=int(n == 0), **done
        )
    metrics = scrape()
    assert metrics[("vatcrm_monitoring_last_run_state", (("state", "in_progress"),))] == 1
    assert metrics[("vatcrm_monitoring_last_run_state", (("state", "finished"),))] == 0
    assert 600 <= metrics[("vatcrm_monitoring_last_run_duration_seconds", ())] < 660
    assert metrics[("vatcrm_monitoring_last_run_counterparties", (("kind", "checked"),))] == 4
    assert metrics[("vatcrm_monitoring_last_run_counterparties", (("kind", "due"),))] == 10
    assert metrics[("vatcrm_monitoring_last_run_alerts", ())] == 1
    assert metrics[("vatcrm_monitoring_daily_run_missed", ())] == 0


def test_deliveries_pending_due_and_failed(scrape):
    now = timezone.now()
    DeliveryFactory(next_attempt_at=now - timedelta(minutes=5))
    DeliveryFactory(next_attempt_at=now + timedelta(minutes=5))  # pending, waiting for its backoff
    DeliveryFactory(status="failed")
    DeliveryFactory(status="sent")
    metrics = scrape()
    assert metrics[("vatcrm_deliveries", (("status", "pending"),))] == 2
    assert metrics[("vatcrm_deliveries", (("status", "sending"),))] == 0
    assert metrics[("vatcrm_deliveries", (("status", "failed"),))] == 1
    assert metrics[("vatcrm_deliveries_due", ())] == 1
    assert 300 <= metrics[("vatcrm_deliveries_oldest_due_age_seconds", ())] < 360


def test_beat_and_the_broker(scrape, monkeypatch):
    ticked = timezone.now() - timedelta(minutes=2)
    PeriodicTask.objects.filter(name=DAILY_RUN_TASK).update(last_run_at=ticked)
    metrics = scrape()
    assert metrics[("vatcrm_beat_last_tick_timestamp_seconds", ())] == pytest.approx(ticked.timestamp())
    assert metrics[("vatcrm_broker_up", ())] == 1
    assert metrics[("vatcrm_celery_queue_length", (("queue", "celery"),))] >= 0

    monkeypatch.setattr(current_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    metrics = scrape()  # still a scrape: the database's series are there, the broker is reported down
    assert metrics[("vatcrm_broker_up", ())] == 0
    assert ("vatcrm_celery_queue_length", (("queue", "celery"),)) not in metrics
    assert ("vatcrm_deliveries", (("status", "pending"),)) in metrics


BIG_TABLES = ("crm_checkresult", "crm_verificationcheck", "crm_counterparty", "notifications_delivery")


def test_every_scrape_query_reads_big_tables_through_an_index(require_postgres, scrape):
    """No sequential scan of a table that grows with the business, whatever the planner would pick on a
    table this small (docs/operations.md has the plans at 100,000 counterparties and 1,000,000 checks)."""
    _result("DE", latency_ms=100)
    DeliveryFactory(status="failed")
    with CaptureQueriesContext(connection) as queries:
        scrape()
    selects = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in selects:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert not any(f"Seq Scan on {table}" in plan for table in BIG_TABLES), f"{sql}\n{plan}"
