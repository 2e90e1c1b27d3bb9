"""Moments in the reader's language and always with their zone; data (file cells, JSON) the same in every one."""

from __future__ import annotations

import csv
import importlib
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import to_locale
from pypdf import PdfReader

from accounts.models import UserPreference
from crm import vocabulary
from imports.selectors import Progress
from monitoring.models import MonitoringRun, Recheck, RecheckOutcome
from monitoring.services import run_owners_tell
from notifications.services import deliveries_for_alerts, deliveries_send
from tests.factories import AlertFactory, CheckResultFactory, CounterpartyFactory, VerificationCheckFactory

MOMENT = datetime(2026, 12, 8, 2, 0, 5, tzinfo=UTC)
# Django's ru formats abbreviate the year after it (the noqa: ruff takes the lone Cyrillic letter for a look-alike).
RU_DAY = "8 декабря 2026 г."  # noqa: RUF001


@pytest.mark.parametrize(
    ("language", "minutes", "seconds"),
    [
        ("en-gb", "8 Dec 2026, 02:00 UTC", "8 Dec 2026, 02:00:05 UTC"),
        ("ru", f"{RU_DAY}, 02:00 UTC", f"{RU_DAY}, 02:00:05 UTC"),
    ],
)
def test_a_moment_in_each_language_keeps_its_zone(language, minutes, seconds):
    with translation.override(language):
        assert vocabulary.when(MOMENT) == minutes
        assert vocabulary.when(MOMENT, seconds=True) == seconds
        with timezone.override("Europe/Moscow"):
            assert vocabulary.when(MOMENT).endswith(" 05:00 MSK")


def test_every_language_offered_has_our_formats():
    for code, _name in settings.LANGUAGES:
        module = importlib.import_module(f"{settings.FORMAT_MODULE_PATH[0]}.{to_locale(code)}.formats")
        assert "H:i" in module.DATETIME_FORMAT and "H:i:s" in module.DATETIME_SECONDS_FORMAT
        assert "Y" not in module.DAY_MONTH_FORMAT


@pytest.mark.parametrize(("language", "day"), [("en-gb", "14/06"), ("ru", "14.06"), ("de", "14.06")])
def test_a_charts_days_as_the_reader_writes_them(language, day):
    with translation.override(language):
        assert vocabulary.day_and_month(date(2026, 6, 14)) == day


def test_a_language_without_our_formats_falls_back_to_djangos_own():
    with translation.override("de"):
        assert vocabulary.when(MOMENT, seconds=True) == "8. Dezember 2026 02:00 UTC"


def test_the_proof_page_and_pdf_in_russian(russian):
    check = VerificationCheckFactory(
        counterparty__workspace=russian.workspace, started_at=MOMENT, finished_at=MOMENT + timedelta(seconds=2)
    )
    CheckResultFactory(check_run=check, created_at=MOMENT, raw_response="я" * 1001)
    page = russian.client.get(reverse("dashboard:check_proof", args=[check.pk])).content.decode()
    assert f"{RU_DAY}, 02:00:05 UTC" in page and f"{RU_DAY}, 02:00:07 UTC" in page
    assert 'datetime="2026-12-08T02:00:05+00:00"' in page  # for machines, as it was
    assert "2\xa0002 байта (UTF-8)" in page  # the number grouped, the word agreeing with it

    pdf = russian.client.get(reverse("dashboard:check_proof_pdf", args=[check.pk]))
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert f"{RU_DAY}, 02:00:05 UTC" in text


def test_the_dashboard_and_the_alert_inbox_in_russian(russian, time_machine):
    time_machine.move_to(MOMENT + timedelta(hours=1))
    alert = AlertFactory(check_run__counterparty__workspace=russian.workspace, created_at=MOMENT)
    for code in ("EL", "XI"):
        CheckResultFactory(check_run__counterparty__workspace=russian.workspace, country_code=code, created_at=MOMENT)

    home = russian.client.get(reverse("dashboard:home")).content.decode()
    assert f"Данные на {RU_DAY}, 03:00 UTC." in home
    assert '<th scope="row">Греция <span class="muted">EL</span></th>' in home
    assert '<th scope="row">Северная Ирландия <span class="muted">XI</span></th>' in home
    assert "<title>Греция (EL)</title>" in home

    inbox = russian.client.get(reverse("dashboard:alert_list")).content.decode()
    assert f"{RU_DAY}, 02:00 UTC" in inbox
    detail = russian.client.get(reverse("dashboard:alert_detail", args=[alert.pk])).content.decode()
    assert f"{RU_DAY}, 02:00 UTC" in detail


def test_an_alert_email_writes_its_moment_in_the_recipients_language(owner, teammate):
    UserPreference.objects.update_or_create(user=owner.user, defaults={"language": "ru"})
    alert = AlertFactory(check_run__counterparty__workspace=owner.workspace, created_at=MOMENT)
    deliveries_for_alerts(alert_ids=[alert.pk])
    deliveries_send()

    by_address = {message.to[0]: message for message in mail.outbox}
    russian, english = by_address[owner.user.email], by_address[teammate.user.email]
    assert f"{RU_DAY}, 02:00 UTC" in russian.body
    assert f"{RU_DAY}, 02:00 UTC" in russian.alternatives[0][0]
    assert "8 Dec 2026, 02:00 UTC" in english.body


def test_a_files_date_cells_are_the_same_in_every_language(russian, outsider):
    for actor in (russian, outsider):
        CounterpartyFactory(workspace=actor.workspace, vat_number="DE136695976", last_checked_at=MOMENT)
    cells = []
    for actor in (russian, outsider):
        response = actor.client.get(reverse("crm:counterparty_export_csv"))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        cells.append(dict(zip(rows[0], rows[1], strict=True)))
    in_russian, in_english = cells
    assert in_russian["Last check (UTC)"] == in_english["Last check (UTC)"] == "2026-12-08 02:00"


def test_an_incomplete_runs_subject_writes_its_moment_in_the_owners_language(owner, teammate):
    UserPreference.objects.update_or_create(user=owner.user, defaults={"language": "ru"})
    run = MonitoringRun.objects.create(
        started_at=MOMENT, finished_at=MOMENT + timedelta(hours=20), incomplete_reason="its window ended"
    )
    counterparty = CounterpartyFactory(workspace=owner.workspace)
    Recheck.objects.create(run=run, counterparty=counterparty, workspace=owner.workspace, outcome=RecheckOutcome.MISSED)

    assert run_owners_tell(run_id=run.pk) == 1
    [message] = mail.outbox
    assert message.subject == f"[vatcrm] Запуск мониторинга {RU_DAY}, 02:00 UTC: 1 контрагент не перепроверен"


def test_the_imports_progress_gives_its_moment_as_data_and_as_the_readers_text(owner):
    progress = Progress(
        status="verifying",
        to_verify=2,
        done=1,
        valid=1,
        invalid=0,
        unverified=0,
        error=0,
        retrying=0,
        estimated_finish=MOMENT,
    )
    with translation.override("ru"):
        data = json.loads(json.dumps(progress.as_json()))
    assert data["estimated_finish"] == "2026-12-08T02:00:05+00:00"
    assert data["estimated_finish_text"] == f"{RU_DAY}, 02:00 UTC"
