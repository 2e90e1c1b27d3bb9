"""Alert and digest emails: what they say, the links they carry, the ids we keep, the errors we classify."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from crm.models import AlertKind, Severity
from notifications.models import Delivery, DeliveryMode, DeliveryStatus
from notifications.services import deliveries_for_alerts, deliveries_send, digests_send
from tests.factories import AlertFactory, MembershipFactory, WorkspaceFactory

from .conftest import PUBLIC
from .factories import DeliveryFactory, NotificationPreferenceFactory

ANYMAIL_TEST = "anymail.backends.test.EmailBackend"
ESP_LIKE = "tests.notifications.backends.EmailBackend"


@pytest.fixture
def alert(owner):
    return AlertFactory(
        check_run__counterparty__workspace=owner.workspace,
        check_run__counterparty__name="Bolt Logistics B.V.",
        check_run__counterparty__vat_number="NL123456789B01",
        kind=AlertKind.VALIDITY_LOST,
        severity=Severity.CRITICAL,
        before="valid",
        after="invalid",
    )


def test_alert_email_names_severity_and_counterparty_and_links_back(owner, alert):
    deliveries_for_alerts(alert_ids=[alert.pk])
    deliveries_send()

    [message] = mail.outbox
    assert message.to == [owner.user.email]
    assert message.subject == (
        "[vatcrm] Critical: VAT registration no longer valid — Bolt Logistics B.V. (NL123456789B01)"
    )
    counterparty_link = PUBLIC + reverse("crm:counterparty_detail", args=[alert.counterparty_id])
    preferences_link = PUBLIC + reverse("notifications:index") + f"?workspace={owner.workspace.pk}"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    for body in (message.body, html):
        assert counterparty_link in body
        assert preferences_link.replace("&", "&amp;") in body or preferences_link in body
        assert "Bolt Logistics B.V." in body and "Invalid" in body  # the status by its word, not its code
    assert "<a href=" not in message.body  # the text part is text


def test_the_message_id_we_set_is_stored_when_the_backend_has_none(owner, alert):
    deliveries_for_alerts(alert_ids=[alert.pk])
    deliveries_send()

    delivery = Delivery.objects.get()
    [message] = mail.outbox
    assert delivery.status == DeliveryStatus.SENT and delivery.sent_at is not None
    assert delivery.provider_message_id == message.extra_headers["Message-ID"] == f"<{delivery.key}@vatcrm.localhost>"
    assert message.extra_headers["X-Vatcrm-Alert"] == str(alert.pk)
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_anymail_message_id_is_stored(owner, teammate, alert, settings):
    settings.EMAIL_BACKEND = ANYMAIL_TEST
    deliveries_for_alerts(alert_ids=[alert.pk])
    deliveries_send()

    for delivery in Delivery.objects.all():
        [message] = [m for m in mail.outbox if m.to == [delivery.address]]
        assert delivery.status == DeliveryStatus.SENT
        assert delivery.provider_message_id == str(message.anymail_status.message_id)
    assert {m.anymail_test_params["subject"] for m in mail.outbox} == {mail.outbox[0].subject}


def test_a_recipient_the_provider_refuses_is_a_permanent_failure(owner, alert, settings):
    settings.EMAIL_BACKEND = ESP_LIKE
    delivery = DeliveryFactory(alert=alert, recipient=owner.user, address="refused@example.com")

    summary = deliveries_send()

    delivery.refresh_from_db()
    assert (summary.failed, delivery.status, delivery.attempts) == (1, DeliveryStatus.FAILED, 1)
    assert "AnymailRecipientsRefused" in delivery.last_error
    alert.refresh_from_db()
    assert alert.is_sent, "a failed delivery is done: nothing more will happen to it"


def test_a_provider_outage_is_retried_later(owner, alert, settings):
    settings.EMAIL_BACKEND = ESP_LIKE
    delivery = DeliveryFactory(alert=alert, recipient=owner.user, address="down@example.com")

    summary = deliveries_send()

    delivery.refresh_from_db()
    assert (summary.retrying, delivery.status, delivery.attempts) == (1, DeliveryStatus.PENDING, 1)
    assert "503" in delivery.last_error
    assert delivery.next_attempt_at > delivery.created_at
    alert.refresh_from_db()
    assert not alert.is_sent


def test_a_name_with_a_newline_still_makes_a_one_line_subject(owner):
    alert = AlertFactory(
        check_run__counterparty__workspace=owner.workspace, check_run__counterparty__name="Evil\nBcc: x"
    )
    deliveries_for_alerts(alert_ids=[alert.pk])
    deliveries_send()
    assert "\n" not in mail.outbox[0].subject and "Evil Bcc: x" in mail.outbox[0].subject


def test_the_daily_digest_puts_every_alert_of_the_member_in_one_email(owner, teammate):
    NotificationPreferenceFactory(
        user=teammate.user, workspace=owner.workspace, mode=DeliveryMode.DIGEST, min_severity=Severity.INFO
    )
    alerts = [
        AlertFactory(check_run__counterparty__workspace=owner.workspace, severity=severity)
        for severity in (Severity.INFO, Severity.CRITICAL, Severity.WARNING)
    ]
    deliveries_for_alerts(alert_ids=[alert.pk for alert in alerts])
    deliveries_send()
    immediate = len(mail.outbox)
    assert immediate == 2  # the owner: warning and critical, one email each; the teammate waits

    summary = digests_send()

    assert summary.sent == 3
    [digest] = mail.outbox[immediate:]
    assert digest.to == [teammate.user.email]
    assert digest.subject == f"[vatcrm] Daily digest: 3 alerts in {owner.workspace.name}"
    html = digest.alternatives[0][0]
    for alert in alerts:
        link = PUBLIC + reverse("crm:counterparty_detail", args=[alert.counterparty_id])
        assert link in digest.body and link in html
    # the most severe first
    assert digest.body.index("CRITICAL") < digest.body.index("WARNING") < digest.body.index("INFO")
    rows = Delivery.objects.filter(recipient=teammate.user)
    assert {row.status for row in rows} == {DeliveryStatus.SENT}
    assert len({row.provider_message_id for row in rows}) == 1
    assert digests_send().sent == 0, "a digest row goes out once"


def test_a_failed_digest_is_retried_by_the_sweep_not_before(owner, settings):
    from notifications.services import deliveries_sweep

    settings.EMAIL_BACKEND = ESP_LIKE
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace)
    DeliveryFactory(alert=alert, recipient=owner.user, address="down@example.com", digest=True)
    assert deliveries_sweep().sent.retrying == 0, "a fresh digest row waits for the daily run"

    assert digests_send().retrying == 1
    Delivery.objects.update(address="owner@example.com", next_attempt_at=alert.created_at)
    assert deliveries_sweep().sent.sent == 1


def test_the_email_link_opens_the_alert_for_a_member_looking_at_another_workspace(owner, alert):
    """A member of two workspaces, whose session is on the other one, follows the link of an alert email."""
    elsewhere = WorkspaceFactory(name="Elsewhere Ltd")
    MembershipFactory(workspace=elsewhere, user=owner.user)
    owner.client.get(reverse("crm:counterparty_list"), {"workspace": elsewhere.pk})  # the session moves there
    deliveries_for_alerts(alert_ids=[alert.pk])
    deliveries_send()

    [message] = mail.outbox
    [link] = [word for word in message.body.split() if "/crm/counterparty/" in word]
    response = owner.client.get(link.removeprefix(PUBLIC))

    assert response.status_code == 200
    assert b"Bolt Logistics B.V." in response.content
