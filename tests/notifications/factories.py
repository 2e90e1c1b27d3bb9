"""factory_boy factories for notifications' rows."""

import factory

from crm.models import Membership, Role, Severity
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
        skip_postgeneration_save = True  # the membership hook writes its own row, not the delivery

    alert = factory.SubFactory(AlertFactory)
    workspace = factory.SelfAttribute("alert.workspace")
    recipient = factory.SubFactory(UserFactory)
    address = factory.LazyAttribute(lambda delivery: delivery.recipient.email if delivery.recipient else "channel")

    @factory.post_generation
    def membership(delivery, create, extracted, **kwargs) -> None:
        # Senders check that the recipient is still a member; pass `membership=False` for one who is not.
        if create and delivery.recipient_id and extracted is not False:
            Membership.objects.get_or_create(
                workspace=delivery.workspace, user=delivery.recipient, defaults={"role": Role.MEMBER}
            )
