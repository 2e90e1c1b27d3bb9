"""Alerts say what the change means for the team's invoices and what to do, and link the proof of the last
valid check: in the email (HTML and text), the chat message and the alert inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm.advice import alert_advice, last_valid_check
from crm.models import AlertKind, Severity
from notifications.content import alert_chat_message
from notifications.services import deliveries_for_alerts, deliveries_send
from tests.factories import AlertFactory, CounterpartyFactory, VerificationCheckFactory

from .conftest import PUBLIC
from .factories import DeliveryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost(owner):
    """Valid yesterday (with a consultation number), invalid today: the critical alert."""
    counterparty = CounterpartyFactory(workspace=owner.workspace, name="Bolt Logistics B.V.", status="invalid")
    valid = VerificationCheckFactory(
        counterparty=counterparty,
        overall_status="valid",
        consultation_number="WAPIAAAAY1234567",
        started_at=timezone.now() - timedelta(days=1),
    )
    invalid = VerificationCheckFactory(counterparty=counterparty, overall_status="invalid")
    return AlertFactory(
        check_run=invalid,
        previous_check=valid,
        kind=AlertKind.VALIDITY_LOST,
        severity=Severity.CRITICAL,
        before="valid",
        after="invalid",
    )


def test_the_lost_validity_email_says_what_it_means_and_links_the_proof(owner, lost):
    deliveries_for_alerts(alert_ids=[lost.pk])
    deliveries_send()
    [message] = mail.outbox
    html = message.alternatives[0][0]
    proof = f"{PUBLIC}{reverse('dashboard:check_proof', args=[lost.previous_check_id])}?workspace={owner.workspace.pk}"
    for body in (message.body, html):
        assert "vatcrm" in body and "What this means for your invoices" in body and "What to do next" in body
        assert "substantive condition" in body and "intra-Community supply" in body
        assert proof in body.replace("&amp;", "&")
        assert "WAPIAAAAY1234567" in body  # the consultation number of the proof
    assert "<table" in html and 'role="presentation"' in html  # table layout for mail clients


def test_an_outage_is_never_worded_as_invalidity(owner):
    counterparty = CounterpartyFactory(workspace=owner.workspace, status="valid")
    valid = VerificationCheckFactory(counterparty=counterparty, started_at=timezone.now() - timedelta(days=4))
    outage = VerificationCheckFactory(counterparty=counterparty, overall_status="unverified")
    alert = AlertFactory(check_run=outage, kind=AlertKind.UNVERIFIABLE, severity=Severity.WARNING, before="", after="")
    advice = alert_advice(alert)
    assert "not a sign that the number is invalid" in advice.meaning
    assert "Nothing to change on your invoices" in advice.action
    assert last_valid_check(alert) == valid


@pytest.mark.parametrize("kind", [AlertKind.VALIDITY_REGAINED, AlertKind.NAME_CHANGED, AlertKind.ADDRESS_CHANGED])
def test_every_kind_has_its_own_advice(owner, kind):
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace, kind=kind, severity=Severity.INFO)
    advice = alert_advice(alert)
    assert advice.meaning and advice.action
    assert last_valid_check(alert) == alert.check_run  # the alert's own check was valid: it is the proof


def test_the_chat_message_says_what_to_do_and_links_the_alert_and_the_proof(owner, lost):
    delivery = DeliveryFactory(alert=lost)
    message = alert_chat_message(delivery)
    assert "What to do next:" in message.text and "hold those invoices" in message.text
    assert reverse("dashboard:check_proof", args=[lost.previous_check_id]) in message.text
    assert message.url.startswith(PUBLIC + reverse("dashboard:alert_detail", args=[lost.pk]))


def test_the_inbox_shows_the_advice(owner, lost):
    page = owner.client.get(reverse("dashboard:alert_detail", args=[lost.pk])).content.decode()
    assert "What this means for your invoices" in page and "hold those invoices" in page
    assert reverse("dashboard:check_proof", args=[lost.previous_check_id]) in page
