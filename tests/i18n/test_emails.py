"""Emails and digests are written in each recipient's language, whatever language the sender runs in."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import UserPreference
from crm.models import AlertKind, Severity
from crm.services.workspaces import invitation_email_send
from notifications.models import DeliveryMode
from notifications.services import deliveries_for_alerts, deliveries_send, digests_send
from tests.factories import AlertFactory, InvitationFactory
from tests.notifications.factories import NotificationPreferenceFactory


@pytest.fixture
def alert(owner):
    return AlertFactory(
        check_run__counterparty__workspace=owner.workspace,
        check_run__counterparty__name="Bolt Logistics B.V.",
        check_run__counterparty__vat_number="NL123456789B01",
        kind=AlertKind.VALIDITY_LOST,
        severity=Severity.CRITICAL,
    )


def _speaks(actor, language: str) -> None:
    UserPreference.objects.update_or_create(user=actor.user, defaults={"language": language})


def test_an_alert_email_is_in_each_recipients_language(owner, teammate, alert):
    _speaks(owner, "ru")
    deliveries_for_alerts(alert_ids=[alert.pk])
    deliveries_send()

    by_address = {message.to[0]: message for message in mail.outbox}
    russian, english = by_address[owner.user.email], by_address[teammate.user.email]
    assert russian.subject == (
        "[vatcrm] Критично: Регистрация плательщика НДС больше не действительна — Bolt Logistics B.V. (NL123456789B01)"
    )
    assert english.subject == (
        "[vatcrm] Critical: VAT registration no longer valid — Bolt Logistics B.V. (NL123456789B01)"
    )
    html = russian.alternatives[0][0]
    assert '<html lang="ru">' in html
    for body in (russian.body, html):
        assert "Было" in body and "Стало" in body and "Before" not in body
        assert "Вы получаете это письмо" in body
    assert "Before" in english.body and "Было" not in english.body


@pytest.mark.parametrize(
    ("count", "words"), [(1, "1 оповещение"), (3, "3 оповещения"), (5, "5 оповещений"), (21, "21 оповещение")]
)
def test_a_digest_is_in_the_recipients_language_with_russian_plurals(owner, teammate, count, words):
    _speaks(teammate, "ru")
    NotificationPreferenceFactory(
        user=teammate.user, workspace=owner.workspace, mode=DeliveryMode.DIGEST, min_severity=Severity.INFO
    )
    alerts = [
        AlertFactory(check_run__counterparty__workspace=owner.workspace, severity=Severity.INFO) for _ in range(count)
    ]
    deliveries_for_alerts(alert_ids=[alert.pk for alert in alerts])
    digests_send()

    [digest] = [message for message in mail.outbox if message.to == [teammate.user.email]]
    assert digest.subject == f"[vatcrm] Ежедневная сводка: {words} в {owner.workspace.name}"
    assert f"{words} в {owner.workspace.name}" in digest.body


def test_an_invitation_is_in_the_inviters_language(owner):
    _speaks(owner, "ru")
    invitation = InvitationFactory(workspace=owner.workspace, invited_by=owner.user)
    invitation_email_send(invitation=invitation)

    [message] = mail.outbox
    assert message.subject == f"[vatcrm] Приглашение в {owner.workspace.name}"
    assert "приглашает вас" in message.body
    assert "Ваша роль: Участник" in message.body  # the role the person joins with, in the inviter's language
    assert '<html lang="ru">' in message.alternatives[0][0]
