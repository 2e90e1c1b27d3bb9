"""The outbox: claims, backoff, giving up, stale claims, alerts done, the sweep, tasks and the command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from crm.models import Alert
from notifications import tasks
from notifications.models import Delivery, DeliveryStatus
from notifications.services import (
    deliveries_for_alerts,
    deliveries_release_stale,
    deliveries_send,
    deliveries_send_due,
    deliveries_sweep,
    delivery_retry,
)
from notifications.services.sending import Outcome, claim, record
from notifications.transports import TransportError
from tests.factories import AlertFactory

from .conftest import make_alerts
from .factories import DeliveryFactory
from .race import run_before

ESP_LIKE = "tests.notifications.backends.EmailBackend"


@pytest.fixture
def pending(owner, teammate):
    """Six email deliveries (three alerts, two members), due now."""
    alerts = make_alerts(owner.workspace, 3)
    deliveries_for_alerts(alert_ids=[alert.pk for alert in alerts])
    return list(Delivery.objects.order_by("pk"))


def keys_sent() -> list[str]:
    return [message.extra_headers["X-Vatcrm-Delivery"] for message in mail.outbox]


def test_a_rival_that_claims_between_our_pick_and_our_take_wins_those_rows(pending):
    """Sender A picks the rows; before A marks them, sender B claims and sends them all. A's conditional
    update then finds none of them pending: A sends nothing, and nothing is sent twice."""
    with run_before("notifications.services.sending._take", lambda: deliveries_send(limit=100)) as rival:
        ours = deliveries_send(limit=100)

    assert rival[0].sent == 6
    assert ours.sent == 0
    assert sorted(keys_sent()) == sorted(str(d.key) for d in pending)


def test_a_sender_running_while_another_sends_finds_nothing_to_take(pending):
    """Sender B starts while A holds its claims (A is inside its first send): B gets no row of A's."""
    second = []

    with run_before("notifications.mail.Mailer.send", lambda: second.append(deliveries_send(limit=100))):
        first = deliveries_send(limit=100)

    assert first.sent == 6 and second[0].sent == 0
    assert len(keys_sent()) == len(set(keys_sent())) == 6


def test_batches_are_bounded_and_the_due_loop_takes_them_all(pending):
    assert deliveries_send(limit=4).sent == 4
    assert deliveries_send_due(batch_size=1).sent == 2
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 6


def test_backoff_doubles_from_the_base_up_to_the_cap(settings):
    settings.NOTIFICATIONS_RETRY_BASE_DELAY = timedelta(minutes=1)
    settings.NOTIFICATIONS_RETRY_MAX_DELAY = timedelta(minutes=10)
    delays = [Delivery(attempts=n).retry_delay() for n in (1, 2, 3, 4, 5, 9)]
    for delay, minutes in zip(delays, (1, 2, 4, 8, 10, 10), strict=True):
        assert timedelta(minutes=minutes) <= delay <= timedelta(minutes=minutes) * 1.1


def test_transient_failures_are_rescheduled_then_given_up_after_the_window(owner, settings):
    settings.EMAIL_BACKEND = ESP_LIKE
    delivery = DeliveryFactory(alert__check_run__counterparty__workspace=owner.workspace, address="down@example.com")

    assert deliveries_send().retrying == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at > timezone.now()
    assert deliveries_send().retrying == 0, "not due yet"

    Delivery.objects.filter(pk=delivery.pk).update(expires_at=timezone.now())
    assert deliveries_send(now=delivery.next_attempt_at).failed == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2
    assert delivery.last_error.startswith("Gave up after 2 attempts: AnymailAPIError")


def test_after_a_transient_email_error_the_rest_of_the_batch_is_not_tried_on_that_server(owner, settings):
    """A down provider is not asked again for every message of the batch (with a timeout, that would be
    one timeout per message)."""
    settings.EMAIL_BACKEND = ESP_LIKE
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace)
    DeliveryFactory(alert=alert, address="down@example.com")
    DeliveryFactory(alert=alert, address="fine@example.com")

    summary = deliveries_send()

    assert summary.retrying == 2
    assert [m.to for m in mail.outbox] == [["down@example.com"]]  # anymail's test outbox records each attempt
    assert set(Delivery.objects.values_list("last_error", flat=True)) == {"AnymailAPIError: 503 Service Unavailable"}


def test_an_alert_is_done_once_every_delivery_is(owner, teammate, settings):
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace)
    deliveries_for_alerts(alert_ids=[alert.pk])
    first, second = Delivery.objects.order_by("pk")

    deliveries_send(ids=[first.pk])
    alert.refresh_from_db()
    assert not alert.is_sent

    Delivery.objects.filter(pk=second.pk).update(address="refused@example.com")
    settings.EMAIL_BACKEND = ESP_LIKE
    deliveries_send(ids=[second.pk])
    alert.refresh_from_db()
    assert alert.is_sent and alert.sent_at is not None


def test_a_stale_claim_is_sent_again_and_its_old_owner_cannot_overwrite_the_outcome(pending, settings):
    """The at-least-once side of the trade-off (docs/notifications.md): a sender that died mid-send."""
    dead_owner = claim(Delivery.objects.due().filter(pk=pending[0].pk), limit=1, now=timezone.now())
    assert dead_owner and deliveries_sweep().sent.sent == 5, "a live claim is left alone"

    later = timezone.now() + settings.NOTIFICATIONS_CLAIM_TIMEOUT + timedelta(seconds=1)
    summary = deliveries_sweep(now=later)
    assert (summary.released, summary.sent.sent) == (1, 1)

    # The "dead" sender wakes up and reports a failure: it no longer owns the row; nothing changes.
    late = record([Outcome(dead_owner[0], error=TransportError("timeout"))], now=timezone.now())
    assert late.lost == 1
    row = Delivery.objects.get(pk=pending[0].pk)
    assert row.status == DeliveryStatus.SENT and row.attempts == 2


def test_an_owner_retry_requeues_a_failed_delivery_and_reopens_its_alert(owner, settings):
    settings.EMAIL_BACKEND = ESP_LIKE
    delivery = DeliveryFactory(alert__check_run__counterparty__workspace=owner.workspace, address="refused@x.org")
    deliveries_send()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and Alert.objects.get().is_sent

    Delivery.objects.filter(pk=delivery.pk).update(address="owner@example.com")
    assert delivery_retry(delivery=delivery) and not delivery_retry(delivery=delivery)
    assert not Alert.objects.get().is_sent
    assert deliveries_send().sent == 1
    assert Alert.objects.get().is_sent


def test_tasks_are_quiet_about_rows_that_are_gone(db):
    tasks.fan_out_alerts.delay([2**31 - 1])
    assert tasks.send_deliveries.delay([2**31 - 1]).get() == "0 sent, 0 to retry, 0 failed"


def test_sweep_task_and_digest_task_run(pending):
    assert tasks.send_pending_deliveries.delay().get().startswith("6 sent")
    assert tasks.send_daily_digests.delay().get() == "0 sent, 0 to retry, 0 failed"


def test_beat_entries_exist_and_expire_before_their_next_run(db):
    sweep = PeriodicTask.objects.get(task="notifications.tasks.send_pending_deliveries")
    assert sweep.enabled and sweep.interval.every * 60 > sweep.expire_seconds > 0
    digests = PeriodicTask.objects.get(task="notifications.tasks.send_daily_digests")
    assert (digests.crontab.hour, digests.crontab.minute) == ("7", "0")
    assert 24 * 3600 > digests.expire_seconds > 0


def test_send_alerts_command_sends_everything_pending_now(pending, settings):
    Delivery.objects.filter(pk=pending[0].pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    out = StringIO()

    call_command("send_alerts", "--respect-backoff", stdout=out)
    assert out.getvalue().startswith("Deliveries: 5 sent, 0 to retry, 0 failed;")

    call_command("send_alerts", "--digests", stdout=out)
    assert "Deliveries: 1 sent" in out.getvalue() and "(1 retries brought forward)" in out.getvalue()
    assert "Digests: 0 sent" in out.getvalue()
    assert len(mail.outbox) == 6


def test_a_stale_claim_past_its_give_up_time_fails_and_its_alert_is_done(owner, settings):
    """The sender died holding the alert's only delivery, and the give-up time passed meanwhile: the row
    is failed, and the alert must be done too (nothing else will ever mark it)."""
    delivery = DeliveryFactory(alert__check_run__counterparty__workspace=owner.workspace)
    [held] = claim(Delivery.objects.due().filter(pk=delivery.pk), limit=1, now=timezone.now())
    later = timezone.now() + settings.NOTIFICATIONS_GIVE_UP_AFTER + timedelta(minutes=1)

    assert deliveries_release_stale(now=later) == 1

    held.refresh_from_db()
    assert held.status == DeliveryStatus.FAILED and "claim timed out" in held.last_error
    alert = Alert.objects.get()
    assert alert.is_sent and alert.sent_at is not None
