"""/notifications/: preferences for everyone; channels and failures for owners; nothing for outsiders."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from crm.models import Severity
from notifications.models import ChannelKind, ChatChannel, Delivery, DeliveryStatus, NotificationPreference
from tests.factories import MembershipFactory, WorkspaceFactory

from .factories import ChatChannelFactory, DeliveryFactory

INDEX = reverse("notifications:index")


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_member_sees_the_defaults_without_a_row_being_written(teammate):
    response = teammate.client.get(INDEX)
    assert response.status_code == 200
    assert b"Your email alerts" in response.content
    assert not NotificationPreference.objects.exists()
    assert b"Deliveries that failed" not in response.content, "failures are for owners"
    assert reverse("notifications:channel_add").encode() not in response.content


def test_a_member_saves_preferences(teammate):
    response = teammate.client.post(INDEX, {"email_enabled": "on", "mode": "digest", "min_severity": "info"})
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=teammate.user, workspace=teammate.workspace)
    assert (preference.mode, preference.min_severity, preference.email_enabled) == ("digest", "info", True)

    teammate.client.post(INDEX, {"mode": "immediate", "min_severity": "critical"})
    preference.refresh_from_db()
    assert not preference.email_enabled and preference.min_severity == Severity.CRITICAL


def test_the_link_in_an_email_switches_to_the_alerts_workspace_if_it_is_one_of_the_readers(owner, outsider):
    second = WorkspaceFactory(name="Second Ltd")
    MembershipFactory(workspace=second, user=owner.user)

    response = owner.client.get(INDEX, {"workspace": second.pk})
    assert response.status_code == 302
    assert b"Second Ltd" in owner.client.get(INDEX).content

    owner.client.get(INDEX, {"workspace": outsider.workspace.pk})
    assert b"Other Corp" not in owner.client.get(INDEX).content


def test_the_preferences_link_of_an_email_opens_the_page_of_that_workspace(owner):
    second = WorkspaceFactory(name="Second Ltd")
    MembershipFactory(workspace=second, user=owner.user)

    response = owner.client.get(INDEX, {"workspace": second.pk}, follow=True)

    assert response.redirect_chain == [(INDEX, 302)]
    assert "<h1>Notifications · Second Ltd</h1>" in response.content.decode()
    assert "<h1>Notifications · Second Ltd</h1>" in owner.client.get(INDEX).content.decode(), "and it stays there"


@pytest.mark.parametrize(
    ("kind", "fields", "secret"),
    [
        ("slack", {"url": "https://hooks.slack.com/services/T1/B2/slack-url-secret"}, "slack-url-secret"),
        ("telegram", {"bot_token": "123456:bot-token-secret", "chat_id": "-1001"}, "bot-token-secret"),
        ("webhook", {"url": "https://erp.example/hook", "secret": "webhook-secret-0123456789"}, "webhook-secret"),
    ],
)
def test_an_owner_adds_each_kind_of_channel_and_its_secret_is_never_shown(owner, kind, fields, secret):
    add = reverse("notifications:channel_add")
    assert owner.client.get(add, {"kind": kind}).status_code == 200
    data = {"name": f"My {kind}", "kind": kind, "min_severity": "warning", "enabled": "on", **fields}

    response = owner.client.post(add, data)

    assert response.status_code == 302, response.content
    channel = ChatChannel.objects.get(workspace=owner.workspace)
    assert channel.kind == kind and channel.created_by == owner.user
    assert {k: v for k, v in channel.config.items() if k in fields} == fields
    for page in (INDEX, reverse("notifications:channel_edit", args=[channel.pk])):
        content = owner.client.get(page).content.decode()
        assert f"My {kind}" in content
        assert secret not in content, page


def test_a_webhook_without_a_secret_gets_one_shown_once(owner):
    response = owner.client.post(
        reverse("notifications:channel_add"),
        {"name": "ERP", "kind": "webhook", "min_severity": "info", "url": "https://erp.example/hook"},
        follow=True,
    )
    secret = ChatChannel.objects.get().config["secret"]
    assert len(secret) >= 32
    assert secret in response.content.decode()
    assert secret not in owner.client.get(INDEX).content.decode()


def test_editing_with_empty_credentials_keeps_them(owner):
    channel = ChatChannelFactory(workspace=owner.workspace, kind=ChannelKind.TELEGRAM)
    before = dict(channel.config)
    url = reverse("notifications:channel_edit", args=[channel.pk])

    response = owner.client.post(url, {"name": "Renamed", "kind": "slack", "min_severity": "critical", "chat_id": "-9"})

    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Renamed" and channel.kind == ChannelKind.TELEGRAM, "the kind cannot change"
    assert channel.config == {**before, "chat_id": "-9"}


def test_a_channel_without_what_its_kind_needs_is_refused(owner):
    response = owner.client.post(
        reverse("notifications:channel_add"), {"name": "x", "kind": "telegram", "min_severity": "info", "chat_id": "1"}
    )
    assert response.status_code == 200
    assert not ChatChannel.objects.exists()


def test_the_test_button_reports_success_and_failure(owner, http_fake):
    channel = ChatChannelFactory(
        workspace=owner.workspace, kind=ChannelKind.SLACK, config={"url": f"{http_fake.url}/s"}
    )
    url = reverse("notifications:channel_test", args=[channel.pk])

    ok = owner.client.post(url)
    http_fake.respond(404, b"no_service")
    failed = owner.client.post(url)

    assert ok.status_code == failed.status_code == 302
    assert said(ok) == [f"Test message sent to “{channel.name}”."]
    assert said(failed)[-1:] == [f"The test message to “{channel.name}” failed: HTTP 404: no_service"]
    assert len(http_fake.requests) == 2


def test_owner_actions_need_a_csrf_token(owner):
    channel = ChatChannelFactory(workspace=owner.workspace)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner.user)
    for name in ("channel_test", "channel_delete"):
        assert strict.post(reverse(f"notifications:{name}", args=[channel.pk])).status_code == 403
    assert ChatChannel.objects.filter(pk=channel.pk).exists()


def test_members_cannot_manage_channels(owner, teammate):
    """A member sees the channels on the page, so a 403 hides nothing (crm.permissions)."""
    channel = ChatChannelFactory(workspace=owner.workspace)
    assert teammate.client.get(reverse("notifications:channel_add")).status_code == 403
    assert teammate.client.get(reverse("notifications:channel_edit", args=[channel.pk])).status_code == 403
    for name in ("channel_test", "channel_delete"):
        assert teammate.client.post(reverse(f"notifications:{name}", args=[channel.pk])).status_code == 403
    assert ChatChannel.objects.filter(pk=channel.pk).exists()


def test_outsiders_get_404_for_channels_and_deliveries(owner, outsider):
    channel = ChatChannelFactory(workspace=owner.workspace)
    delivery = DeliveryFactory(alert__check_run__counterparty__workspace=owner.workspace, status=DeliveryStatus.FAILED)
    assert outsider.client.get(reverse("notifications:channel_edit", args=[channel.pk])).status_code == 404
    for name, pk in [("channel_test", channel.pk), ("channel_delete", channel.pk), ("delivery_retry", delivery.pk)]:
        assert outsider.client.post(reverse(f"notifications:{name}", args=[pk])).status_code == 404
    assert "Name" not in outsider.client.get(INDEX).content.decode().split("Chat channels")[1].split("</section>")[0]


def test_an_owner_removes_a_channel(owner):
    channel = ChatChannelFactory(workspace=owner.workspace)
    assert owner.client.post(reverse("notifications:channel_delete", args=[channel.pk])).status_code == 302
    assert not ChatChannel.objects.exists()


def test_owners_see_failed_deliveries_and_send_them_again(owner, teammate, django_capture_on_commit_callbacks):
    delivery = DeliveryFactory(
        alert__check_run__counterparty__workspace=owner.workspace,
        alert__check_run__counterparty__name="Refusing Mailbox GmbH",
        recipient=teammate.user,
        address=teammate.user.email,
        status=DeliveryStatus.FAILED,
        last_error="SMTPRecipientsRefused: 550 No such user",
        attempts=1,
    )

    page = owner.client.get(INDEX).content.decode()
    assert "Refusing Mailbox GmbH" in page and "550 No such user" in page
    assert "550 No such user" not in teammate.client.get(INDEX).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.client.post(reverse("notifications:delivery_retry", args=[delivery.pk]))

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT  # tasks run inline in tests
    assert [m.to for m in mail.outbox] == [[teammate.user.email]]
    assert Delivery.objects.count() == 1
