"""A sender that is stopped half-way: by its time budget, or by Celery's soft time limit.

What must hold: every message that went out is recorded as sent at once (else, after the claim timeout,
it goes out twice); what was claimed and not sent is pending again at once; the soft limit is never
swallowed; a digest run that stops is finished by the sweep, not the next day.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from crm.models import Alert
from notifications import tasks
from notifications.mail import Mailer
from notifications.models import ChannelKind, Delivery, DeliveryMode, DeliveryStatus, DigestRun
from notifications.services import budget as budget_module
from notifications.services import deliveries_for_alerts, deliveries_send, deliveries_sweep, digests_send
from notifications.transports import Webhook

from .conftest import make_alerts
from .factories import ChatChannelFactory, NotificationPreferenceFactory

REAL_SEND = Mailer.send


class Clock:
    """The monotonic clock the budgets read, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(budget_module, "monotonic", fake)
    return fake


@pytest.fixture
def pending(owner, teammate) -> list[Delivery]:
    """Six email deliveries (three alerts, two members), due now."""
    deliveries_for_alerts(alert_ids=[alert.pk for alert in make_alerts(owner.workspace, 3)])
    return list(Delivery.objects.order_by("pk"))


def statuses() -> list[str]:
    return list(Delivery.objects.order_by("pk").values_list("status", flat=True))


def test_each_outcome_is_recorded_right_after_its_send(pending, monkeypatch):
    seen = []

    def send(self, message):
        seen.append(statuses())
        return REAL_SEND(self, message)

    monkeypatch.setattr(Mailer, "send", send)
    assert deliveries_send().sent == 6

    # When the third message is sent, the first two are already recorded as sent.
    assert seen[2] == ["sent", "sent"] + ["sending"] * 4


def test_the_soft_time_limit_is_raised_after_recording_what_went_out_and_giving_back_the_rest(pending, monkeypatch):
    calls = []

    def send(self, message):
        calls.append(message.to)
        if len(calls) == 3:
            raise SoftTimeLimitExceeded()
        return REAL_SEND(self, message)

    monkeypatch.setattr(Mailer, "send", send)
    with pytest.raises(SoftTimeLimitExceeded):
        deliveries_send()

    rows = list(Delivery.objects.order_by("pk"))
    assert [row.status for row in rows] == ["sent", "sent", "pending", "pending", "pending", "pending"]
    assert len(mail.outbox) == 2
    interrupted, *untouched = rows[2:]
    # The third may have gone out: retried with backoff (at-least-once), not at once.
    assert interrupted.attempts == 1 and interrupted.next_attempt_at > timezone.now()
    assert "time limit" in interrupted.last_error
    # The others were never tried: pending now, due now, their claim's attempt not counted.
    assert all(row.attempts == 0 and row.claim_token is None and row.last_error == "" for row in untouched)
    assert set(Delivery.objects.due().values_list("pk", flat=True)) == {row.pk for row in untouched}
    assert Alert.objects.filter(is_sent=True).count() == 1, "the alert whose two emails went out is done"


def test_a_chat_send_does_not_swallow_the_soft_time_limit(owner, monkeypatch):
    ChatChannelFactory(workspace=owner.workspace, kind=ChannelKind.WEBHOOK)
    ChatChannelFactory(workspace=owner.workspace, kind=ChannelKind.WEBHOOK)
    alert = make_alerts(owner.workspace, 1)[0]
    deliveries_for_alerts(alert_ids=[alert.pk])
    owner_email = Delivery.objects.get(recipient=owner.user)

    def send(self, message):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(Webhook, "send", send)
    with pytest.raises(SoftTimeLimitExceeded):
        deliveries_send()

    owner_email.refresh_from_db()
    assert owner_email.status == DeliveryStatus.SENT
    first, second = Delivery.objects.filter(channel__isnull=False).order_by("pk")
    assert (first.status, first.attempts) == (DeliveryStatus.PENDING, 1) and "time limit" in first.last_error
    assert (second.status, second.attempts, second.next_attempt_at <= timezone.now()) == ("pending", 0, True)


def test_the_budget_stops_a_batch_between_sends_and_gives_the_rest_back(pending, monkeypatch, clock):
    def send(self, message):
        clock.now += 25  # a slow server
        return REAL_SEND(self, message)

    monkeypatch.setattr(Mailer, "send", send)
    summary = deliveries_send(budget=timedelta(seconds=60))

    assert (summary.sent, summary.given_back) == (3, 3)  # sent at 0, 25 and 50 s; at 75 s it stops
    assert statuses() == ["sent"] * 3 + ["pending"] * 3
    assert Delivery.objects.due().count() == 3
    assert str(summary) == "3 sent, 0 to retry, 0 failed, 3 given back unsent"


def test_the_sweep_stops_claiming_when_its_budget_is_spent(pending, monkeypatch, clock):
    def send(self, message):
        clock.now += 70
        return REAL_SEND(self, message)

    monkeypatch.setattr(Mailer, "send", send)
    summary = deliveries_sweep(batch_size=2, budget=timedelta(seconds=60))

    assert (summary.sent.sent, summary.sent.given_back) == (1, 1)
    assert Delivery.objects.filter(status=DeliveryStatus.SENDING).count() == 0


def test_the_tasks_have_limits_their_budgets_fit_in(settings):
    for task in (tasks.send_deliveries, tasks.send_pending_deliveries):
        assert (task.soft_time_limit, task.time_limit) == (
            budget_module.SEND_SOFT_TIME_LIMIT,
            budget_module.SEND_TIME_LIMIT,
        )
    assert (tasks.send_daily_digests.soft_time_limit, tasks.send_daily_digests.time_limit) == (
        budget_module.DIGEST_SOFT_TIME_LIMIT,
        budget_module.DIGEST_TIME_LIMIT,
    )
    slowest_send = 2 * django_settings.EMAIL_TIMEOUT
    for budget, soft, hard in [
        (budget_module.SEND_BUDGET, budget_module.SEND_SOFT_TIME_LIMIT, budget_module.SEND_TIME_LIMIT),
        (budget_module.DIGEST_BUDGET, budget_module.DIGEST_SOFT_TIME_LIMIT, budget_module.DIGEST_TIME_LIMIT),
    ]:
        assert budget.total_seconds() + slowest_send <= soft < hard
        claim_timeout = django_settings.NOTIFICATIONS_CLAIM_TIMEOUT.total_seconds()
        assert hard * 2 < claim_timeout, "a live sender is never overtaken"


@pytest.fixture
def digest_readers(owner, teammate):
    """The owner and the teammate both read digests; one alert waits for them."""
    for actor in (owner, teammate):
        NotificationPreferenceFactory(user=actor.user, workspace=owner.workspace, mode=DeliveryMode.DIGEST)
    deliveries_for_alerts(alert_ids=[make_alerts(owner.workspace, 1)[0].pk])
    return owner, teammate


def test_a_digest_run_stopped_by_its_budget_is_finished_by_the_next_sweep(digest_readers, monkeypatch, clock):
    def send(self, message):
        clock.now += 300
        return REAL_SEND(self, message)

    monkeypatch.setattr(Mailer, "send", send)
    assert digests_send(budget=timedelta(seconds=240)).sent == 1
    run = DigestRun.objects.get()
    assert not run.finished and run.stopped_at is not None

    assert deliveries_sweep().sent.sent == 1, "the member the run did not reach gets the digest now"
    assert sorted(message.to[0] for message in mail.outbox) == sorted(a.user.email for a in digest_readers)
    assert DigestRun.objects.get().finished
    assert deliveries_sweep().sent.sent == 0


def test_a_digest_run_interrupted_by_the_soft_limit_is_resumed_and_its_digest_retried(digest_readers, monkeypatch):
    def send(self, message):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(Mailer, "send", send)
    with pytest.raises(SoftTimeLimitExceeded):
        digests_send()
    monkeypatch.setattr(Mailer, "send", REAL_SEND)

    first, second = Delivery.objects.order_by("recipient_id")
    assert (first.status, first.attempts) == (DeliveryStatus.PENDING, 1) and "time limit" in first.last_error
    assert (second.status, second.attempts) == (DeliveryStatus.PENDING, 0)
    assert DigestRun.objects.get().stopped_at is not None

    assert deliveries_sweep().sent.sent == 1  # the member not reached; the interrupted one waits its backoff
    assert deliveries_sweep(now=first.next_attempt_at).sent.sent == 1
    assert len(mail.outbox) == 2


def test_a_killed_digest_run_is_resumed_once_its_hard_limit_is_over(digest_readers):
    # A worker killed mid-run records nothing: the run is neither stopped nor finished.
    run = DigestRun.objects.create(started_at=timezone.now())

    assert deliveries_sweep().sent.sent == 0, "it may still be running"
    later = run.started_at + timedelta(seconds=budget_module.DIGEST_TIME_LIMIT + 1)
    assert deliveries_sweep(now=later).sent.sent == 2
    assert DigestRun.objects.get().finished
