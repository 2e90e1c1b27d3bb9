"""A Russian reader walks through the pages and finds none of our English sentences left on them.

The catalogue test proves that every marked string has a translation; this one proves that the pages use
it: a string translated at import time, rendered outside the reader's language, or shown from a stored
English value would appear here as the English of one of the catalogue's messages.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from crm.models import AlertKind, CheckStatus, Severity
from monitoring.models import MonitoringRun, Recheck, RecheckOutcome
from tests.factories import AlertFactory, CheckResultFactory, CompanyFactory, CounterpartyFactory

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.po"
HIDDEN = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->", re.S)
READ_ATTRIBUTES = re.compile(r'\b(?:title|alt|placeholder|aria-label)="([^"]*)"')


def _english_sentences() -> set[str]:
    """Our messages that a page could show as they are: several words, no placeholder, translated otherwise."""
    with CATALOGUE.open("rb") as source:
        catalogue = read_po(source, locale="ru")
    sentences = set()
    for message in catalogue:
        for english in message.id if isinstance(message.id, tuple) else (message.id,):
            translated = message.string if isinstance(message.string, str) else message.string[0]
            if english and "%(" not in english and english.count(" ") >= 2 and translated != english:
                sentences.add(english)
    return sentences


def _english_on(pages) -> dict[str, list[str]]:
    """Per page (a client and a URL), the English sentences of ours a Russian reader finds on it."""
    sentences = _english_sentences()
    found = {}
    for browser, url in pages:
        response = browser.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert '<html lang="ru"' in page, url
        if left := sorted(sentence for sentence in sentences if sentence in _read(page)):
            found[url] = left
    return found


def _read(page: str) -> str:
    """What a person reads on the page: its text and the attributes that are read out or shown."""
    page = HIDDEN.sub(" ", page)
    attributes = " ".join(READ_ATTRIBUTES.findall(page))
    text = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(f"{text} {attributes}").split())


def test_the_pages_a_russian_owner_walks_through_have_no_english_sentence(russian):
    workspace = russian.workspace
    CompanyFactory(workspace=workspace, name="Ромашка")
    counterparty = CounterpartyFactory(workspace=workspace, name="Ёлка", status=CheckStatus.VALID, monitoring="daily")
    alert = AlertFactory(check_run__counterparty=counterparty, kind=AlertKind.VALIDITY_LOST, severity=Severity.CRITICAL)
    CheckResultFactory(check_run=alert.check_run, country_code="EL", registered_name="Ёлка")
    AlertFactory(
        check_run__counterparty=counterparty,
        kind=AlertKind.UNVERIFIABLE,
        severity=Severity.WARNING,
        before="valid",
        after="registry unreachable since 2026-12-08 02:00 UTC",
    )
    run = MonitoringRun.objects.create(started_at=timezone.now() - timedelta(hours=2), finished_at=timezone.now())
    Recheck.objects.create(run=run, counterparty=counterparty, workspace=workspace, outcome=RecheckOutcome.CHECKED)

    pages = [
        reverse("dashboard:home"),
        reverse("dashboard:alert_list"),
        reverse("dashboard:alert_detail", args=[alert.pk]),
        reverse("dashboard:check_proof", args=[alert.check_run.pk]),
        reverse("dashboard:audit"),
        reverse("crm:counterparty_list"),
        reverse("crm:counterparty_detail", args=[counterparty.pk]),
        reverse("crm:counterparty_edit", args=[counterparty.pk]),
        reverse("crm:verify"),
        reverse("crm:workspace_settings"),
        reverse("crm:requester_setup"),
        reverse("monitoring:overview"),
        reverse("monitoring:run_detail", args=[run.pk]),
        reverse("notifications:index"),
        reverse("notifications:channel_add"),
        reverse("imports:upload"),
        reverse("api_pages:keys"),
        reverse("api_pages:webhooks"),
    ]
    assert _english_on([(russian.client, url) for url in pages]) == {}


def test_the_account_pages_in_russian_have_no_english_sentence(russian, client):
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    pages = [
        (russian.client, reverse("account_email")),
        (russian.client, reverse("account_change_password")),
        (russian.client, reverse("account_logout")),
        (client, reverse("account_login")),
        (client, reverse("account_signup")),
        (client, reverse("account_reset_password")),
    ]
    assert _english_on(pages) == {}
