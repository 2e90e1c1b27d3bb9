"""Webhook signing secrets are encrypted at rest like the chat channels' credentials, and the key rotation
(`manage.py reencrypt_secrets`) re-encrypts them too; one that no key opens fails its deliveries, nothing
else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services.webhooks import delivery_send
from notifications.models import ChannelKind
from notifications.transports import verify_signature
from tests.notifications.factories import ChatChannelFactory

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
SECRET = "whsec_rotationTestSecret"


def stored(endpoint: WebhookEndpoint) -> str:
    """The column as the database holds it, read without the model."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT config FROM api_webhookendpoint WHERE id = %s", [endpoint.pk])
        return cursor.fetchone()[0]


def _endpoint(workspace, url: str = "https://erp.example/hooks") -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        workspace=workspace, url=url, events=[WebhookEvent.CHECK_COMPLETED], config={"secret": SECRET}
    )


def _delivery(endpoint: WebhookEndpoint) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        workspace=endpoint.workspace,
        event=WebhookEvent.CHECK_COMPLETED,
        payload={"id": "rotation"},
        expires_at=timezone.now() + timedelta(hours=1),
    )


def test_the_signing_secret_is_a_token_in_the_database(owner):
    endpoint = _endpoint(owner.workspace)
    assert SECRET not in stored(endpoint)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == SECRET


def test_rotation_re_encrypts_signing_secrets_and_channels_alike(owner, settings, capsys, receiver):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    endpoint = _endpoint(owner.workspace, f"{receiver.url}/hooks")
    ChatChannelFactory(workspace=owner.workspace, kind=ChannelKind.SLACK, config={"url": "https://hooks.slack.com/x"})

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("reencrypt_secrets")
    assert "Re-encrypted 2 values" in capsys.readouterr().out
    Fernet(NEW_KEY).decrypt(stored(endpoint).encode())  # raises if it were still under the old key

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key dropped: the secret still signs
    delivery = _delivery(WebhookEndpoint.objects.get(pk=endpoint.pk))
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.SENT
    (request,) = receiver.requests
    assert verify_signature(SECRET, request.body, request.headers["X-Vatcrm-Signature"])


def test_rotation_names_a_signing_secret_that_no_key_opens_and_its_deliveries_fail(owner, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    lost = _endpoint(owner.workspace)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    token = stored(lost)

    with pytest.raises(CommandError, match=f"api.WebhookEndpoint {lost.pk}"):
        call_command("reencrypt_secrets")
    assert stored(lost) == token, "left as it was: the right key may still be found"

    delivery = _delivery(WebhookEndpoint.objects.get(pk=lost.pk))
    assert delivery_send(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert "FIELD_ENCRYPTION_KEYS" in delivery.last_error
