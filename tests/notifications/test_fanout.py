"""An alert becomes one delivery per member who asked for it by email and per chat channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from crm.models import Alert, Severity
from crm.signals import alerts_created
from notifications.models import ChannelKind, Delivery, DeliveryMode, DeliveryStatus
from notifications.services import alerts_fan_out_missed, deliveries_for_alerts, deliveries_sweep
from tests.factories import AlertFactory, MembershipFactory, UserFactory

from .conftest import announce, make_alerts
from .factories import ChatChannelFactory, NotificationPreferenceFactory


def targets(alert: Alert) -> set[str]:
    return {d.address for d in Delivery.objects.filter(alert=alert)}


def test_one_delivery_per_member_and_channel(owner, teammate, outsider):
    slack = ChatChannelFactory(workspace=owner.workspace, kind=ChannelKind.SLACK, name="#finance")
    hook = ChatChannelFactory(workspace=owner.workspace, kind=ChannelKind.WEBHOOK, name="ERP")
    ChatChannelFactory(workspace=outsider.workspace, name="Theirs")
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace, severity=Severity.CRITICAL)

    ids = deliveries_for_alerts(alert_ids=[alert.pk])

    rows = Delivery.objects.filter(alert=alert)
    assert {(d.recipient_id, d.channel_id) for d in rows} == {
        (owner.user.pk, None),
        (teammate.user.pk, None),
        (None, slack.pk),
        (None, hook.pk),
    }
    assert sorted(ids) == sorted(d.pk for d in rows)  # all immediate, all due
    assert all(d.workspace_id == owner.workspace.pk and d.status == DeliveryStatus.PENDING for d in rows)
    assert outsider.user.email not in targets(alert)


def test_preferences_and_minimum_severity_decide(owner, teammate, workspace):
    digest_reader = UserFactory()
    MembershipFactory(workspace=workspace, user=digest_reader)
    quiet = UserFactory()
    MembershipFactory(workspace=workspace, user=quiet)
    NotificationPreferenceFactory(user=teammate.user, workspace=workspace, min_severity=Severity.CRITICAL)
    NotificationPreferenceFactory(user=digest_reader, workspace=workspace, mode=DeliveryMode.DIGEST)
    NotificationPreferenceFactory(user=quiet, workspace=workspace, email_enabled=False)
    ChatChannelFactory(workspace=workspace, name="critical only", min_severity=Severity.CRITICAL)
    ChatChannelFactory(workspace=workspace, name="switched off", enabled=False)
    ChatChannelFactory(workspace=workspace, name="everything", min_severity=Severity.INFO)

    warning = AlertFactory(check_run__counterparty__workspace=workspace, severity=Severity.WARNING)
    critical = AlertFactory(check_run__counterparty__workspace=workspace, severity=Severity.CRITICAL)
    deliveries_for_alerts(alert_ids=[warning.pk, critical.pk])

    assert targets(warning) == {owner.user.email, digest_reader.email, "everything"}
    assert targets(critical) == {
        owner.user.email,
        teammate.user.email,
        digest_reader.email,
        "everything",
        "critical only",
    }
    assert Delivery.objects.get(alert=critical, recipient=digest_reader).digest is True
    assert not Delivery.objects.filter(recipient=owner.user, digest=True).exists()


def test_default_preference_is_warning_and_an_alert_nobody_wants_is_done(owner):
    info = AlertFactory(check_run__counterparty__workspace=owner.workspace, severity=Severity.INFO)

    assert deliveries_for_alerts(alert_ids=[info.pk]) == []

    info.refresh_from_db()
    assert info.is_sent and info.sent_at is not None
    assert not Delivery.objects.exists()


def test_members_without_an_address_or_inactive_get_nothing(owner, workspace):
    gone = UserFactory(is_active=False)
    MembershipFactory(workspace=workspace, user=gone)
    alert = AlertFactory(check_run__counterparty__workspace=workspace)

    deliveries_for_alerts(alert_ids=[alert.pk])

    assert targets(alert) == {owner.user.email}


def test_a_replayed_fan_out_does_not_double_anything(owner, teammate):
    ChatChannelFactory(workspace=owner.workspace)
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace)

    first = deliveries_for_alerts(alert_ids=[alert.pk])
    second = deliveries_for_alerts(alert_ids=[alert.pk, alert.pk])

    assert Delivery.objects.count() == 3
    assert sorted(first) == sorted(second)


def test_alerts_announced_by_monitoring_are_delivered_after_commit(owner, teammate, django_capture_on_commit_callbacks):
    alerts = make_alerts(owner.workspace, 2)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        announce(alerts)
    assert not Delivery.objects.exists(), "nothing may happen before the alerts are committed"
    for callback in callbacks:
        callback()

    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.user.email, teammate.user.email] * 2)
    assert all(alert.is_sent for alert in Alert.objects.all())


def test_alerts_of_a_rolled_back_transaction_are_not_delivered(owner, django_capture_on_commit_callbacks):
    alerts = make_alerts(owner.workspace, 1)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        alerts_created.send(sender=Alert, alerts=alerts)
        raise RuntimeError("the re-check failed after finding the change")
    assert callbacks == []
    assert mail.outbox == []


def test_the_sweep_fans_out_alerts_whose_fan_out_never_ran(owner):
    """The broker was down on commit: the alert has no delivery row; the sweep notices and delivers it."""
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace)
    assert alerts_fan_out_missed() == 0, "a fresh alert is left to the normal path for a moment"

    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    summary = deliveries_sweep()

    assert summary.fanned_out == 1 and summary.sent.sent == 1
    assert [m.to for m in mail.outbox] == [[owner.user.email]]


def test_the_sweep_leaves_alerts_older_than_the_give_up_window(owner, settings):
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace)
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - settings.NOTIFICATIONS_GIVE_UP_AFTER * 2)
    assert alerts_fan_out_missed() == 0
