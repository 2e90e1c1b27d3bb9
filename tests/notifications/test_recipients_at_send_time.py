"""Rows are made at fan-out and may be sent much later (a digest the next morning, a retry 72 hours on):
whoever left the workspace, was deactivated, or whose channel was switched off meanwhile gets nothing."""

from __future__ import annotations

from django.core import mail

from crm.models import Membership
from notifications.models import ChannelKind, Delivery, DeliveryMode, DeliveryStatus
from notifications.services import deliveries_for_alerts, deliveries_send, deliveries_sweep, digests_send

from .conftest import make_alerts
from .factories import ChatChannelFactory, NotificationPreferenceFactory


def fan_out(workspace) -> None:
    deliveries_for_alerts(alert_ids=[alert.pk for alert in make_alerts(workspace, 2)])


def assert_refused(user, reason: str) -> None:
    rows = Delivery.objects.filter(recipient=user)
    assert rows.exists()
    for row in rows:
        assert row.status == DeliveryStatus.FAILED, "failed for good, not retried"
        assert reason in row.last_error


def test_a_member_removed_after_the_fan_out_gets_no_email(owner, teammate):
    fan_out(owner.workspace)
    Membership.objects.filter(user=teammate.user, workspace=owner.workspace).delete()

    summary = deliveries_send()

    assert (summary.sent, summary.failed) == (2, 2)
    assert {message.to[0] for message in mail.outbox} == {owner.user.email}
    assert_refused(teammate.user, "no longer an active member of this workspace")
    assert deliveries_sweep().sent.sent == 0


def test_a_deactivated_member_gets_no_email(owner, teammate):
    fan_out(owner.workspace)
    teammate.user.is_active = False
    teammate.user.save(update_fields=["is_active"])

    deliveries_send()

    assert {message.to[0] for message in mail.outbox} == {owner.user.email}
    assert_refused(teammate.user, "no longer an active member")


def test_a_member_removed_before_the_digest_gets_no_digest(owner, teammate):
    NotificationPreferenceFactory(user=teammate.user, workspace=owner.workspace, mode=DeliveryMode.DIGEST)
    fan_out(owner.workspace)
    deliveries_send()
    Membership.objects.filter(user=teammate.user, workspace=owner.workspace).delete()

    assert digests_send().failed == 2

    assert teammate.user.email not in {message.to[0] for message in mail.outbox}
    assert_refused(teammate.user, "no longer an active member")


def test_a_member_of_another_workspace_still_is_not_one_of_this(owner, teammate, outsider):
    """Membership is checked in the alert's workspace, not anywhere."""
    fan_out(owner.workspace)
    Membership.objects.filter(user=teammate.user).delete()
    Membership.objects.create(user=teammate.user, workspace=outsider.workspace)

    deliveries_send()

    assert_refused(teammate.user, "no longer an active member")


def test_a_channel_switched_off_after_the_fan_out_gets_nothing(owner, http_fake):
    channel = ChatChannelFactory(
        workspace=owner.workspace, kind=ChannelKind.SLACK, config={"url": f"{http_fake.url}/s"}
    )
    fan_out(owner.workspace)
    channel.enabled = False
    channel.save(update_fields=["enabled"])

    deliveries_send()

    assert http_fake.requests == []
    rows = Delivery.objects.filter(channel=channel)
    assert {(row.status, row.last_error) for row in rows} == {
        (DeliveryStatus.FAILED, "Not sent: the channel has been switched off")
    }
