from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from crm.models import Alert, AlertKind, Counterparty, Severity, VerificationCheck, Workspace
from crm.signals import alerts_created

from .fakes import FakeHTTP, SMTPSink

PUBLIC = "https://vatcrm.example"


@pytest.fixture(autouse=True)
def notification_settings(settings):
    settings.PUBLIC_BASE_URL = PUBLIC
    # The fakes listen on loopback, which production refuses for user-typed URLs.
    settings.NOTIFICATIONS_ALLOW_PRIVATE_URLS = True
    settings.NOTIFICATIONS_HTTP_CONNECT_TIMEOUT = 2.0
    settings.NOTIFICATIONS_HTTP_READ_TIMEOUT = 2.0
    settings.TELEGRAM_API_URL = "http://127.0.0.1:9"  # never api.telegram.org
    return settings


@pytest.fixture
def http_fake() -> Iterator[FakeHTTP]:
    with FakeHTTP() as fake:
        yield fake


@pytest.fixture
def smtp_settings(settings):
    """Django's SMTP backend pointed at a loopback port where nothing listens yet (see `smtp_sink`)."""
    sink = SMTPSink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", sink.port, 5
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def smtp_sink(smtp_settings) -> SMTPSink:
    return smtp_settings.start()


def make_alerts(
    workspace: Workspace, count: int, *, severity: str = Severity.CRITICAL, prefix: str = "DE"
) -> list[Alert]:
    """`count` alerts, each about its own counterparty, stored in three bulk inserts (fast for 500)."""
    counterparties = Counterparty.objects.bulk_create(
        Counterparty(
            workspace=workspace, vat_number=f"{prefix}{i:09d}", country_code=prefix, name=f"Lieferant {i} GmbH"
        )
        for i in range(count)
    )
    checks = VerificationCheck.objects.bulk_create(
        VerificationCheck(workspace=workspace, counterparty=counterparty, overall_status="invalid")
        for counterparty in counterparties
    )
    return Alert.objects.bulk_create(
        Alert(
            workspace=workspace,
            counterparty=check.counterparty,
            check_run=check,
            kind=AlertKind.VALIDITY_LOST,
            severity=severity,
            before="valid",
            after="invalid",
        )
        for check in checks
    )


def announce(alerts: list[Alert]) -> None:
    """What monitoring does: store, then send alerts_created inside the same transaction."""
    with transaction.atomic():
        alerts_created.send(sender=Alert, alerts=alerts)
