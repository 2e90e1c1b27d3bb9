"""Point 6 of issue 5, end to end through Django's SMTP backend and a real SMTP server on loopback (aiosmtpd).

- 500 alerts while the SMTP server is down, then up: every recipient receives each alert exactly once.
- two senders at the same time (threads; the real Celery worker): no message twice at the server.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import Alert
from notifications import tasks
from notifications.models import Delivery, DeliveryMode, DeliveryStatus
from notifications.services import deliveries_for_alerts, deliveries_send_due, deliveries_sweep, digests_send
from tests.factories import MembershipFactory, UserFactory

from .conftest import announce, make_alerts
from .factories import DeliveryFactory, NotificationPreferenceFactory

pytestmark = pytest.mark.slow


def alert_ids_by_recipient(sink) -> Counter:
    """(recipient, alert id) of every alert email the server accepted (digests carry no single alert)."""
    return Counter(
        (got.recipient, int(got.headers["X-Vatcrm-Alert"])) for got in sink.received if got.headers["X-Vatcrm-Alert"]
    )


def counterparties_in_digests(received) -> Counter:
    return Counter(
        int(counterparty_id)
        for got in received
        for counterparty_id in re.findall(r"/crm/counterparty/(\d+)/", got.message.get_body(("plain",)).get_content())
    )


@pytest.mark.slow
def test_500_alerts_while_the_server_is_down_then_up_arrive_exactly_once(
    owner, teammate, smtp_settings, django_capture_on_commit_callbacks
):
    digest_reader = UserFactory()
    MembershipFactory(workspace=owner.workspace, user=digest_reader)
    NotificationPreferenceFactory(user=digest_reader, workspace=owner.workspace, mode=DeliveryMode.DIGEST)
    alerts = make_alerts(owner.workspace, 500)

    # Monitoring stores the alerts and announces them; on commit, fan-out and sending run (inline in tests)
    # against a port where nothing listens.
    with django_capture_on_commit_callbacks(execute=True):
        announce(alerts)
    assert digests_send().retrying == 500, "the daily digest run finds the server down as well"

    assert Delivery.objects.count() == 1500
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING, attempts=1).count() == 1500
    assert "ConnectionRefusedError" in Delivery.objects.first().last_error
    assert not Alert.objects.filter(is_sent=True).exists()

    sink = smtp_settings.start()
    assert deliveries_sweep().sent.sent == 0, "the backoff is respected: nothing is due yet"
    later = timezone.now() + timedelta(minutes=5)
    summary = deliveries_sweep(now=later, budget=None)
    assert (summary.sent.sent, summary.sent.retrying, summary.sent.failed) == (1500, 0, 0)
    assert deliveries_sweep(now=later + timedelta(hours=1), budget=None).sent.sent == 0, "nothing left"

    expected = {(member.email, alert.pk) for member in (owner.user, teammate.user) for alert in alerts}
    immediate = alert_ids_by_recipient(sink)
    assert set(immediate) == expected and set(immediate.values()) == {1}

    digests = [got for got in sink.received if got.recipient == digest_reader.email]
    assert len(digests) == 3  # 200 + 200 + 100 alerts
    linked = counterparties_in_digests(digests)
    assert set(linked) == {alert.counterparty_id for alert in alerts} and set(linked.values()) == {1}
    assert Alert.objects.filter(is_sent=True).count() == 500


@pytest.mark.slow
def test_the_server_refusing_a_recipient_is_permanent_and_a_busy_mailbox_is_not(owner, smtp_sink):
    alert = make_alerts(owner.workspace, 1)[0]
    refused = DeliveryFactory(alert=alert, recipient=owner.user, address="refused@example.com")
    busy = DeliveryFactory(alert=alert, address="busy@example.com")
    fine = DeliveryFactory(alert=alert, address="fine@example.com")

    summary = deliveries_send_due()

    assert (summary.sent, summary.retrying, summary.failed) == (1, 1, 1)
    statuses = {d.pk: (d.status, d.last_error) for d in Delivery.objects.all()}
    assert statuses[refused.pk][0] == DeliveryStatus.FAILED and "550" in statuses[refused.pk][1]
    assert statuses[busy.pk][0] == DeliveryStatus.PENDING and "450" in statuses[busy.pk][1]
    assert statuses[fine.pk][0] == DeliveryStatus.SENT
    assert [got.recipient for got in smtp_sink.received] == ["fine@example.com"]


def _deliveries_waiting(workspace, count: int) -> set[str]:
    alerts = make_alerts(workspace, count)
    deliveries_for_alerts(alert_ids=[alert.pk for alert in alerts])
    return {str(key) for key in Delivery.objects.values_list("key", flat=True)}


def _assert_each_once(sink, keys: set[str]) -> None:
    received = Counter(got.key for got in sink.received)
    duplicates = {key: n for key, n in received.items() if n > 1}
    assert not duplicates, f"sent twice: {duplicates}"
    assert set(received) == keys


@pytest.mark.slow
@pytest.mark.services
def test_two_senders_at_the_same_time_send_nothing_twice(
    require_postgres, transactional_db, owner, teammate, smtp_settings
):
    sink = smtp_settings
    sink.delay = 0.002  # a server that takes a moment, so the two senders overlap for real
    sink.start()
    keys = _deliveries_waiting(owner.workspace, 100)
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def sender(name: str) -> None:
        try:
            start.wait()
            results[name] = deliveries_send_due(batch_size=5, budget=None)
        except Exception as exc:  # pragma: no cover - reported below
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert all(not isinstance(result, Exception) for result in results.values()), results
    assert results["a"].sent + results["b"].sent == 200
    assert results["a"].sent and results["b"].sent, f"the senders did not overlap: {results}"
    _assert_each_once(sink, keys)
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 200


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.services
def test_the_real_worker_running_overlapping_tasks_sends_nothing_twice(
    require_postgres, celery_worker_live, owner, teammate, smtp_sink
):
    keys = _deliveries_waiting(owner.workspace, 50)
    ids = list(Delivery.objects.values_list("pk", flat=True))

    # The same rows reach four worker threads by three paths at once: two copies of the on-commit batch
    # (a redelivered message) and two beat sweeps.
    tasks.send_deliveries.delay(ids)
    tasks.send_deliveries.delay(ids)
    tasks.send_pending_deliveries.delay()
    tasks.send_pending_deliveries.delay()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Delivery.objects.exclude(status=DeliveryStatus.SENT).exists():
        time.sleep(0.1)
    time.sleep(0.5)  # let the slower tasks finish: they must find nothing left to send

    _assert_each_once(smtp_sink, keys)
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()
