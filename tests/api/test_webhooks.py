"""Event webhooks: subscribed URLs get signed deliveries, retried with backoff, recorded with their attempts,
through notifications' SSRF guard; owners manage them and see every attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services.webhooks import deliveries_sweep
from crm.models import Workspace
from crm.signals import alerts_created
from notifications.transports import verify_signature
from tests.factories import AlertFactory, CompanyFactory, CounterpartyFactory, VerificationCheckFactory

ALL_EVENTS = list(WebhookEvent.values)


def _endpoint(workspace, url: str, events=ALL_EVENTS) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        workspace=workspace, url=f"{url}/hooks", events=events, config={"secret": "whsec_test"}
    )


@pytest.mark.usefixtures("vies_settings")
def test_a_verification_sends_check_completed_and_status_changed_signed(
    api, receiver, django_capture_on_commit_callbacks
):
    CompanyFactory(workspace=api.workspace)
    endpoint = _endpoint(api.workspace, receiver.url)
    _endpoint(CounterpartyFactory().workspace, receiver.url)  # another workspace's: hears nothing
    with django_capture_on_commit_callbacks(execute=True):
        check = api.client.post("/api/v1/verify/", {"vat_number": "ATU72943648"}).json()
    by_type = {request.json()["type"]: request for request in receiver.requests}
    assert set(by_type) == {"check.completed", "counterparty.status_changed"}
    for request in receiver.requests:
        assert verify_signature("whsec_test", request.body, request.headers["X-Vatcrm-Signature"])
        assert request.headers["X-Vatcrm-Event"] == request.json()["type"]
        assert request.headers["X-Vatcrm-Delivery"] == request.json()["id"]
        assert request.json()["workspace_id"] == api.workspace.pk
    completed = by_type["check.completed"].json()["data"]["check"]
    assert completed["check_id"] == check["check_id"] and completed["overall_status"] == "valid"
    changed = by_type["counterparty.status_changed"].json()["data"]
    assert (changed["before"], changed["after"]) == (None, "valid")
    assert set(endpoint.deliveries.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert all(delivery.attempt_log.get().status_code == 200 for delivery in endpoint.deliveries.all())


def test_only_a_changed_definitive_status_is_a_status_change(owner, receiver, django_capture_on_commit_callbacks):
    _endpoint(owner.workspace, receiver.url, events=[WebhookEvent.STATUS_CHANGED])
    counterparty = CounterpartyFactory(workspace=owner.workspace, status="valid")
    with django_capture_on_commit_callbacks(execute=True):
        VerificationCheckFactory(counterparty=counterparty, overall_status="valid")
        VerificationCheckFactory(counterparty=counterparty, overall_status="unverified")
    assert receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        VerificationCheckFactory(counterparty=counterparty, overall_status="invalid")
    (request,) = receiver.requests
    assert (request.json()["data"]["before"], request.json()["data"]["after"]) == ("valid", "invalid")


def test_new_alerts_are_delivered(owner, receiver, django_capture_on_commit_callbacks):
    _endpoint(owner.workspace, receiver.url, events=[WebhookEvent.ALERT_CREATED])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        alert = AlertFactory(check_run__counterparty=CounterpartyFactory(workspace=owner.workspace))
        alerts_created.send(sender=None, alerts=[alert])
    (request,) = receiver.requests
    assert request.json()["data"]["alert"]["id"] == alert.pk and request.json()["data"]["alert"]["kind"] == alert.kind


def test_a_failure_is_retried_with_backoff_then_delivered(owner, receiver, django_capture_on_commit_callbacks):
    _endpoint(owner.workspace, receiver.url, events=[WebhookEvent.CHECK_COMPLETED])
    receiver.respond(503, b"busy")
    with django_capture_on_commit_callbacks(execute=True):
        VerificationCheckFactory(counterparty=CounterpartyFactory(workspace=owner.workspace))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and "HTTP 503" in delivery.last_error
    assert deliveries_sweep() == 0  # not due yet: the backoff holds it
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert [attempt.status_code for attempt in delivery.attempt_log.order_by("at")] == [503, 200]
    bodies = {request.body for request in receiver.requests}
    assert len(receiver.requests) == 2 and len(bodies) == 1  # the same event, byte for byte


def test_a_private_address_is_refused_for_good(owner, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS = False
    _endpoint(owner.workspace, "http://127.0.0.1:9", events=[WebhookEvent.CHECK_COMPLETED])
    with django_capture_on_commit_callbacks(execute=True):
        VerificationCheckFactory(counterparty=CounterpartyFactory(workspace=owner.workspace))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and "private address" in delivery.last_error


def test_a_delivery_is_sent_once_by_two_senders(owner, receiver):
    from api.services.webhooks import delivery_send

    endpoint = _endpoint(owner.workspace, receiver.url)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        workspace=owner.workspace,
        event=WebhookEvent.CHECK_COMPLETED,
        payload={"id": "x"},
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    assert delivery_send(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1


def test_owners_add_a_webhook_and_see_its_attempts(owner, receiver, django_capture_on_commit_callbacks):
    response = owner.client.post(
        reverse("api_pages:webhooks"), {"url": f"{receiver.url}/erp", "events": [WebhookEvent.CHECK_COMPLETED]}
    )
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in response.content.decode()
    assert endpoint.secret not in owner.client.get(reverse("api_pages:webhooks")).content.decode()
    receiver.default = (410, b"gone", {})
    owner.workspace.refresh_from_db()  # the page marked the workspace as listened to, not this test's copy
    with django_capture_on_commit_callbacks(execute=True):
        VerificationCheckFactory(counterparty=CounterpartyFactory(workspace=owner.workspace))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    page = owner.client.get(reverse("api_pages:webhook_detail", args=[endpoint.pk])).content.decode()
    assert "HTTP 410" in page and str(delivery.key) in page
    receiver.default = (200, b"ok", {})
    with django_capture_on_commit_callbacks(execute=True):
        owner.client.post(reverse("api_pages:webhook_delivery_retry", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2


def test_the_workspace_knows_whether_anyone_listens(owner, receiver):
    assert not owner.workspace.has_webhooks
    endpoint = _endpoint(owner.workspace, receiver.url)
    assert Workspace.objects.get(pk=owner.workspace.pk).has_webhooks
    owner.client.post(reverse("api_pages:webhook_toggle", args=[endpoint.pk]))
    assert not Workspace.objects.get(pk=owner.workspace.pk).has_webhooks, "a disabled endpoint hears nothing"
    owner.client.post(reverse("api_pages:webhook_toggle", args=[endpoint.pk]))
    endpoint.delete()
    assert not Workspace.objects.get(pk=owner.workspace.pk).has_webhooks


def test_only_owners_manage_webhooks(teammate, owner):
    endpoint = _endpoint(owner.workspace, "https://erp.example")
    assert teammate.client.get(reverse("api_pages:webhooks")).status_code == 403
    assert teammate.client.post(reverse("api_pages:webhook_delete", args=[endpoint.pk])).status_code == 403
    assert WebhookEndpoint.objects.exists()


def test_an_import_that_finishes_is_announced(owner, receiver, django_capture_on_commit_callbacks):
    from imports.models import Classification
    from imports.services.commit import job_commit
    from tests.imports.factories import ImportRowFactory

    _endpoint(owner.workspace, receiver.url, events=[WebhookEvent.IMPORT_FINISHED])
    row = ImportRowFactory(job__workspace=owner.workspace, classification=Classification.UNCHANGED)
    with django_capture_on_commit_callbacks(execute=True):
        job_commit(job=row.job, user=owner.user)  # nothing new to verify: done at once
    (request,) = receiver.requests
    assert request.json()["type"] == "import.finished"
    assert request.json()["data"]["import"]["id"] == row.job_id and request.json()["data"]["import"]["status"] == "done"
