"""The webhooks' outbox: an event is written in the transaction that causes it, so a process that dies after
the commit (its on-commit hook never runs) or a lost message still gets it delivered, by the beat sweep,
exactly once; a transaction that rolls back delivers nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError as BrokerDown

from api.models import DeliveryStatus, PendingEvent, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.outbox import event_dispatch
from api.tasks import webhook_event_dispatch, webhooks_sweep
from crm.signals import alerts_created
from tests.factories import AlertFactory, CounterpartyFactory, VerificationCheckFactory

ALL_EVENTS = list(WebhookEvent.values)


def _endpoint(workspace, url: str) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        workspace=workspace, url=f"{url}/hooks", events=ALL_EVENTS, config={"secret": "whsec_test"}
    )


def _check_and_alert(workspace) -> None:
    """What a re-check stores in its transaction: a check that changes the status, and its alert."""
    counterparty = CounterpartyFactory(workspace=workspace, status="valid")
    check = VerificationCheckFactory(counterparty=counterparty, overall_status="invalid")
    alert = AlertFactory(check_run=check, counterparty=counterparty, workspace=workspace)
    alerts_created.send(sender=None, alerts=[alert])


def test_a_commit_whose_hook_never_runs_is_delivered_by_the_sweep_exactly_once(
    owner, receiver, django_capture_on_commit_callbacks
):
    _endpoint(owner.workspace, receiver.url)
    with django_capture_on_commit_callbacks(execute=False) as hooks, transaction.atomic():
        _check_and_alert(owner.workspace)
    # Committed, and the process died before its hooks ran: the events are rows, nothing was sent.
    assert hooks and PendingEvent.objects.count() == 2
    assert not WebhookDelivery.objects.exists() and receiver.requests == []

    with django_capture_on_commit_callbacks(execute=True):
        webhooks_sweep()
    sent = sorted(request.json()["type"] for request in receiver.requests)
    assert sent == ["alert.created", "check.completed", "counterparty.status_changed"]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert not PendingEvent.objects.exists()

    # Another sweep, and the dead process's own hooks if they ran after all (a late message): nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_sweep()
        for hook in hooks:
            hook()
    assert len(receiver.requests) == 3 and WebhookDelivery.objects.count() == 3
    assert all(delivery.attempts == 1 for delivery in WebhookDelivery.objects.all())


def test_a_broker_down_at_the_commit_breaks_nothing_and_the_sweep_delivers(
    owner, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    _endpoint(owner.workspace, receiver.url)

    def broker_down(*args, **kwargs):
        raise BrokerDown("connection refused")

    monkeypatch.setattr(webhook_event_dispatch, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        VerificationCheckFactory(counterparty=CounterpartyFactory(workspace=owner.workspace))
    assert PendingEvent.objects.count() == 1 and receiver.requests == []
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_sweep()
    assert [request.json()["type"] for request in receiver.requests].count("check.completed") == 1


def test_a_rolled_back_transaction_delivers_nothing(owner, receiver, django_capture_on_commit_callbacks):
    _endpoint(owner.workspace, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _check_and_alert(owner.workspace)
            assert PendingEvent.objects.count() == 2
            raise RuntimeError("the re-check failed after storing")
        webhooks_sweep()
    assert not PendingEvent.objects.exists() and not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_a_workspace_nobody_listens_to_pays_no_statement(owner, django_capture_on_commit_callbacks):
    assert not owner.workspace.has_webhooks
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        _check_and_alert(owner.workspace)
    assert not [query["sql"] for query in queries.captured_queries if '"api_' in query["sql"]]
    assert not PendingEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_event_held_by_one_dispatcher_is_skipped_by_the_others_and_made_once(owner, receiver):
    check = VerificationCheckFactory(counterparty=CounterpartyFactory(workspace=owner.workspace))
    _endpoint(owner.workspace, receiver.url)
    # Written as the receiver writes it, without its hook: a sweep and a late message both reach it.
    context = {"check_id": check.pk, "status_before": None, "status_changed": False}
    event = PendingEvent.objects.create(workspace=owner.workspace, kind="check", context=context)
    held, release = threading.Event(), threading.Event()

    def other_dispatcher() -> None:
        try:
            with transaction.atomic():
                PendingEvent.objects.select_for_update().get(pk=event.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_dispatcher)
    worker.start()
    try:
        assert held.wait(10)
        assert event_dispatch(event_id=event.pk) == [], "skipped, not waited for"
        assert PendingEvent.objects.filter(pk=event.pk).exists(), "left to the dispatcher that holds it"
    finally:
        release.set()
        worker.join()
    assert len(event_dispatch(event_id=event.pk)) == 1
    assert event_dispatch(event_id=event.pk) == []
    assert [request.json()["type"] for request in receiver.requests] == ["check.completed"]
