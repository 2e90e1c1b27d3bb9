"""Chat credentials encrypted at rest (FIELD_ENCRYPTION_KEYS), rotated by a command, never shown in full."""

from __future__ import annotations

import json
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from notifications.models import ChannelKind, ChatChannel, Delivery, DeliveryStatus
from notifications.services import channel_send_test, deliveries_for_alerts, deliveries_send
from notifications.transports import TransportError
from tests.factories import AlertFactory, UserFactory, WorkspaceFactory

from .factories import ChatChannelFactory

SLACK_URL = "https://hooks.slack.com/services/T0001/B0002/slackSecretPathXYZ9"
CREDENTIALS = {
    ChannelKind.SLACK: {"url": SLACK_URL},
    ChannelKind.TELEGRAM: {"bot_token": "123456:telegramBotTokenSecret4321", "chat_id": "-100777"},
    ChannelKind.WEBHOOK: {"url": "https://erp.example/hook", "secret": "webhookSigningSecret-5678"},
}
# What must never be seen in full, and what may be seen of it.
SECRETS = {
    ChannelKind.SLACK: ("slackSecretPathXYZ9", "https://hooks.slack.com/…/••••XYZ9"),
    ChannelKind.TELEGRAM: ("telegramBotTokenSecret", "••••4321"),
    ChannelKind.WEBHOOK: ("webhookSigningSecret", "••••5678"),
}
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def stored(channel: ChatChannel) -> str:
    """The column as the database holds it, read without the model."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT config FROM notifications_chatchannel WHERE id = %s", [channel.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def channels(owner) -> dict[str, ChatChannel]:
    return {
        kind: ChatChannelFactory(workspace=owner.workspace, kind=kind, name=f"{kind} channel", config=config)
        for kind, config in CREDENTIALS.items()
    }


def test_the_column_holds_a_token_and_no_plaintext(channels, settings):
    for kind, channel in channels.items():
        raw = stored(channel)
        for value in CREDENTIALS[kind].values():
            assert value not in raw, kind
        assert "url" not in raw and "{" not in raw
        key = Fernet(settings.FIELD_ENCRYPTION_KEYS[0])
        assert json.loads(key.decrypt(raw.encode())) == CREDENTIALS[kind]


def test_credentials_round_trip_and_every_save_makes_a_new_token(channels):
    for kind, channel in channels.items():
        before = stored(channel)
        reloaded = ChatChannel.objects.get(pk=channel.pk)
        assert reloaded.config == CREDENTIALS[kind]
        reloaded.save()
        assert stored(channel) != before, "Fernet tokens carry a fresh IV and time"
        assert ChatChannel.objects.get(pk=channel.pk).config == CREDENTIALS[kind]


def test_rotation_prepend_a_key_reencrypt_then_drop_the_old_one(owner, settings, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    channel = ChatChannelFactory(workspace=owner.workspace, kind=ChannelKind.SLACK, config={"url": SLACK_URL})

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert ChatChannel.objects.get(pk=channel.pk).config == {"url": SLACK_URL}, "the old key still decrypts"
    call_command("reencrypt_secrets")
    assert "Re-encrypted 1 values" in capsys.readouterr().out
    assert json.loads(Fernet(NEW_KEY).decrypt(stored(channel).encode())) == {"url": SLACK_URL}

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert ChatChannel.objects.get(pk=channel.pk).config == {"url": SLACK_URL}
    call_command("reencrypt_secrets")  # again: harmless


def test_rotation_refuses_to_call_it_done_while_a_value_opens_with_no_key(owner, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    lost = ChatChannelFactory(workspace=owner.workspace)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    token = stored(lost)

    with pytest.raises(CommandError, match=f"notifications.ChatChannel {lost.pk}"):
        call_command("reencrypt_secrets")
    assert stored(lost) == token, "left as it was: the right key may still be found"


def test_pages_forms_and_the_admin_show_credentials_masked(owner, channels):
    staff = UserFactory(is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    pages = [
        (owner.client, reverse("notifications:index")),
        (admin, reverse("admin:notifications_chatchannel_changelist")),
    ]
    for channel in channels.values():
        pages.append((owner.client, reverse("notifications:channel_edit", args=[channel.pk])))
        pages.append((admin, reverse("admin:notifications_chatchannel_change", args=[channel.pk])))
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        for secret, _hint in SECRETS.values():
            assert secret not in content, url

    for kind, channel in channels.items():
        _secret, hint = SECRETS[kind]
        form = owner.client.get(reverse("notifications:channel_edit", args=[channel.pk])).content.decode()
        assert f"Stored: {hint}. Leave empty to keep it." in form
        assert hint in channel.config_summary
        assert SECRETS[kind][0] not in f"{channel} {channel!r}"


def test_editing_without_retyping_keeps_each_credential(owner, channels):
    for kind, channel in channels.items():
        response = owner.client.post(
            reverse("notifications:channel_edit", args=[channel.pk]),
            {
                "name": "Renamed",
                "kind": kind,
                "min_severity": "critical",
                "chat_id": "-100777",
                "url": CREDENTIALS[kind]["url"] if kind == ChannelKind.WEBHOOK else "",  # not a secret: shown
            },
        )
        assert response.status_code == 302, response.content
        assert ChatChannel.objects.get(pk=channel.pk).config == CREDENTIALS[kind]


def test_a_failed_send_logs_no_credential(owner, channels, caplog, settings):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS = False  # every URL here is refused or unreachable: no network
    settings.TELEGRAM_API_URL = "http://127.0.0.1:9"
    deliveries_for_alerts(alert_ids=[AlertFactory(check_run__counterparty__workspace=owner.workspace).pk])
    with caplog.at_level(logging.INFO):
        deliveries_send()
    errors = " ".join(Delivery.objects.values_list("last_error", flat=True))
    for secret, _hint in SECRETS.values():
        assert secret not in caplog.text and secret not in errors


@pytest.fixture
def undecryptable(owner, settings) -> ChatChannel:
    """A channel stored under a key that has since been dropped."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    channel = ChatChannelFactory(workspace=owner.workspace, kind=ChannelKind.SLACK, config={"url": SLACK_URL})
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    return channel


def test_a_wrong_key_fails_the_delivery_for_good_with_a_clear_reason(owner, undecryptable):
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace)
    deliveries_for_alerts(alert_ids=[alert.pk])

    summary = deliveries_send()

    assert summary.failed == 1
    row = Delivery.objects.get(channel=undecryptable)
    assert row.status == DeliveryStatus.FAILED
    assert "cannot be decrypted with FIELD_ENCRYPTION_KEYS" in row.last_error
    with pytest.raises(TransportError) as test_message:
        channel_send_test(channel=ChatChannel.objects.get(pk=undecryptable.pk))
    assert test_message.value.permanent


def test_a_wrong_key_leaves_the_pages_working_and_the_token_intact(owner, undecryptable, settings):
    token = stored(undecryptable)
    channel = ChatChannel.objects.get(pk=undecryptable.pk)
    assert not channel.credentials_readable and "unreadable" in channel.config_summary
    assert "unreadable" in owner.client.get(reverse("notifications:index")).content.decode()
    edit = reverse("notifications:channel_edit", args=[channel.pk])
    assert "cannot be decrypted" in owner.client.get(edit).content.decode()

    channel.name = "Renamed in the admin"
    channel.save()
    assert stored(channel) == token, "saving the row does not overwrite what a restored key could open"
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert ChatChannel.objects.get(pk=channel.pk).config == {"url": SLACK_URL}

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    refused = owner.client.post(edit, {"name": "x", "kind": "slack", "min_severity": "warning"})
    assert refused.status_code == 200, "nothing to keep: the credential must be typed again"
    owner.client.post(edit, {"name": "x", "kind": "slack", "min_severity": "warning", "url": SLACK_URL})
    assert ChatChannel.objects.get(pk=channel.pk).config == {"url": SLACK_URL}


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_plaintext_rows_and_reverses():
    before, after = [("notifications", "0003_digest_run")], [("notifications", "0004_encrypt_channel_config")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("notifications", "ChatChannel")
    workspace = WorkspaceFactory()
    channel = old.objects.create(workspace_id=workspace.pk, kind="slack", name="Old", config={"url": SLACK_URL})
    assert SLACK_URL in stored(channel), "plaintext before"

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    assert SLACK_URL not in stored(channel)
    assert ChatChannel.objects.get(pk=channel.pk).config == {"url": SLACK_URL}

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert json.loads(stored(channel)) == {"url": SLACK_URL}
    MigrationExecutor(connection).migrate(after)
