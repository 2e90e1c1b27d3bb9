"""What an alert says changed is shown in the reader's words; what is stored (and sent to programs) is not."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import UserPreference
from crm.models import AlertKind, Severity
from crm.vocabulary import alert_value
from notifications.services import deliveries_for_alerts, deliveries_send
from tests.factories import AlertFactory

UNREACHABLE = "registry unreachable since 2026-12-08 02:00 UTC"
# The noqa: ruff takes a lone Cyrillic letter (a preposition, the year's abbreviation) for a Latin look-alike.
RU_UNREACHABLE = "реестр не отвечает с 8 декабря 2026 г., 02:00 UTC"  # noqa: RUF001


@pytest.mark.parametrize(
    ("kind", "before", "after", "english", "russian"),
    [
        (AlertKind.VALIDITY_LOST, "valid", "invalid", ("Valid", "Invalid"), ("Действителен", "Недействителен")),
        (
            AlertKind.UNVERIFIABLE,
            "valid",
            UNREACHABLE,
            ("Valid", "registry unreachable since 8 Dec 2026, 02:00 UTC"),
            ("Действителен", RU_UNREACHABLE),
        ),
        # A name is the registry's: "valid" as a company's name stays what it is.
        (AlertKind.NAME_CHANGED, "valid", "Invalid GmbH", ("valid", "Invalid GmbH"), ("valid", "Invalid GmbH")),
    ],
)
def test_an_alerts_values_in_each_language(db, kind, before, after, english, russian):
    alert = AlertFactory(kind=kind, before=before, after=after)
    for language, expected in (("en-gb", english), ("ru", russian)):
        with translation.override(language):
            assert (alert_value(alert, "before"), alert_value(alert, "after")) == expected


def test_pages_and_emails_say_it_in_russian_and_the_stored_values_stay_as_written(owner):
    UserPreference.objects.update_or_create(user=owner.user, defaults={"language": "ru"})
    owner.client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    alert = AlertFactory(
        check_run__counterparty__workspace=owner.workspace,
        kind=AlertKind.UNVERIFIABLE,
        severity=Severity.WARNING,
        before="valid",
        after=UNREACHABLE,
    )

    page = owner.client.get(reverse("dashboard:alert_detail", args=[alert.pk])).content.decode()
    assert RU_UNREACHABLE in page and UNREACHABLE not in page

    deliveries_for_alerts(alert_ids=[alert.pk])
    deliveries_send()
    [message] = mail.outbox
    assert RU_UNREACHABLE in message.body

    alert.refresh_from_db()
    assert (alert.before, alert.after) == ("valid", UNREACHABLE)
