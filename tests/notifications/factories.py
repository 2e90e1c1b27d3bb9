"""factory_boy factories for notifications' rows."""

import factory

from crm.models import Severity
from notifications.models import ChannelKind, ChatChannel, Delivery, NotificationPreference
from tests.factories import AlertFactory, UserFactory, WorkspaceFactory


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)


class ChatChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatChannel

    workspace = factory.SubFactory(WorkspaceFactory)
    kind = ChannelKind.WEBHOOK
    name = factory.Sequence(lambda n: f"Channel {n}")
    # Port 9 (discard) on loopback: never a real service; private addresses are refused by default anyway.
    config = factory.LazyAttribute(
        lambda channel: {
            ChannelKind.SLACK: {"url": "http://127.0.0.1:9/services/T000/B000/slack-secret-path"},
            ChannelKind.TELEGRAM: {"bot_token": "123456:telegram-bot-token-secret", "chat_id": "-1001"},
            ChannelKind.WEBHOOK: {"url": "http://127.0.0.1:9/hook", "secret": "webhook-signing-secret-0123"},
        }[channel.kind]
    )
    min_severity = Severity.WARNING


class DeliveryFactory(factory.django.DjangoModelFactory):
    """An email delivery of an alert to a member of the alert's workspace."""

    class Meta:
        model = Delivery

    alert = factory.SubFactory(AlertFactory)
    workspace = factory.SelfAttribute("alert.workspace")
    recipient = factory.SubFactory(UserFactory)
    address = factory.LazyAttribute(lambda delivery: delivery.recipient.email if delivery.recipient else "channel")
