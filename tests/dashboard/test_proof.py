# ruff: noqa: RUF001 -- Greek names on purpose: the PDF must write the scripts registries return.
"""The proof of a check (page and PDF) and the audit export (CSV and XLSX)."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from crm.models import CheckStatus, CheckTrigger, Export, ExportKind, ExportState
from tests.factories import CheckResultFactory, CompanyFactory, CounterpartyFactory, VerificationCheckFactory

RAW = "<soapenv:Envelope><checkVatApproxResponse>…Ελληνική…</checkVatApproxResponse></soapenv:Envelope>"
AT = datetime(2026, 6, 17, 9, 30, 5, tzinfo=UTC)


@pytest.fixture
def check(owner):
    workspace = owner.workspace
    CompanyFactory(workspace=workspace, name="Acme Finance Ltd", vat_number="IE6388047V")
    counterparty = CounterpartyFactory(workspace=workspace, vat_number="EL094259216", name="Ελληνική Εταιρεία Α.Ε.")
    run = VerificationCheckFactory(
        counterparty=counterparty,
        triggered_by=owner.user,
        trigger=CheckTrigger.USER,
        requester_vat_number="IE6388047V",
        consultation_number="WAPIAAAAW1a2b3c4",
        started_at=AT,
        finished_at=AT,
    )
    CheckResultFactory(check_run=run, service="format", status=CheckStatus.VALID, registered_name=None, raw_response="")
    CheckResultFactory(
        check_run=run,
        registered_name="ΕΛΛΗΝΙΚΗ ΕΤΑΙΡΕΙΑ ΑΝΩΝΥΜΗ",
        registered_address=None,
        consultation_number="WAPIAAAAW1a2b3c4",
        raw_response=RAW,
        created_at=AT,
    )
    return run


def test_the_proof_page_has_what_an_auditor_asks_for(owner, check):
    page = owner.client.get(reverse("dashboard:check_proof", args=[check.pk])).content.decode()

    assert "Acme Finance Ltd (IE6388047V)" in page
    assert "WAPIAAAAW1a2b3c4" in page
    assert "17 Jun 2026, 09:30:05 UTC" in page
    assert hashlib.sha256(RAW.encode()).hexdigest() in page
    assert "ΕΛΛΗΝΙΚΗ ΕΤΑΙΡΕΙΑ ΑΝΩΝΥΜΗ" in page
    assert "not disclosed by the registry" in page  # a valid number whose address the registry withheld
    assert 'media="print"' in page and "css/print.css" in page


def test_the_proof_pdf_holds_the_same_facts_in_any_script(owner, check):
    response = owner.client.get(reverse("dashboard:check_proof_pdf", args=[check.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="proof-EL094259216-20260617-093005-')
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    compact = " ".join(text.split())
    assert "Acme Finance Ltd (IE6388047V)" in compact
    assert "WAPIAAAAW1a2b3c4" in compact
    assert "17 Jun 2026, 09:30:05 UTC" in compact
    assert hashlib.sha256(RAW.encode()).hexdigest() in compact.replace(" ", "")
    assert "Ελληνική Εταιρεία Α.Ε." in compact and "ΕΛΛΗΝΙΚΗ ΕΤΑΙΡΕΙΑ ΑΝΩΝΥΜΗ" in compact
    assert owner.user.email in compact


def test_an_invalid_numbers_missing_name_is_not_called_withheld(owner):
    result = CheckResultFactory(
        check_run__counterparty__workspace=owner.workspace,
        check_run__overall_status=CheckStatus.INVALID,
        status=CheckStatus.INVALID,
        registered_name=None,
    )
    page = owner.client.get(reverse("dashboard:check_proof", args=[result.check_run_id])).content.decode()
    assert "not disclosed" not in page


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_audit_export_has_every_check_of_the_range_and_only_the_workspaces(owner, outsider, check):
    other = VerificationCheckFactory(
        counterparty__workspace=owner.workspace, started_at=datetime(2026, 6, 1, tzinfo=UTC)
    )
    VerificationCheckFactory(counterparty__workspace=outsider.workspace, started_at=AT)
    url = reverse("dashboard:audit_export_csv")

    rows = _csv(owner.client.get(url, {"date_from": "2026-06-01", "date_to": "2026-06-17"}))

    assert [row[0] for row in rows[1:]] == [str(other.pk), str(check.pk)]  # oldest first
    [mine] = [row for row in rows if row[0] == str(check.pk)]
    assert mine[1] == "2026-06-17T09:30:05+00:00"
    assert "WAPIAAAAW1a2b3c4" in mine and "IE6388047V" in mine and owner.user.email in mine
    assert hashlib.sha256(RAW.encode()).hexdigest() in mine  # the registry result's, not the format rules'
    only_june_17 = _csv(owner.client.get(url, {"date_from": "2026-06-17", "date_to": "2026-06-17"}))
    assert [row[0] for row in only_june_17[1:]] == [str(check.pk)]


def test_the_audit_export_of_one_counterparty(owner, outsider, check):
    VerificationCheckFactory(counterparty__workspace=owner.workspace, started_at=AT)
    url = reverse("dashboard:audit_export_csv")
    days = {"date_from": "2026-06-01", "date_to": "2026-06-30"}

    rows = _csv(owner.client.get(url, {**days, "counterparty": check.counterparty_id}))

    assert [row[0] for row in rows[1:]] == [str(check.pk)]
    theirs = CounterpartyFactory(workspace=outsider.workspace)
    assert owner.client.get(url, {**days, "counterparty": theirs.pk}).status_code == 400
    assert owner.client.get(url, {"date_from": "2026-06-30", "date_to": "2026-06-01"}).status_code == 400


def test_the_audit_export_as_xlsx_has_date_cells_a_frozen_header_and_a_filter(owner, check):
    response = owner.client.get(
        reverse("dashboard:audit_export_xlsx"), {"date_from": "2026-06-17", "date_to": "2026-06-17"}
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active

    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:Q2"
    assert sheet["A2"].value == check.pk
    assert sheet["B2"].value == datetime(2026, 6, 17, 9, 30, 5) and sheet["B2"].is_date
    assert sheet["K2"].value == "WAPIAAAAW1a2b3c4"


def test_the_counterparty_page_links_each_check_to_its_proof(owner, check):
    page = owner.client.get(reverse("crm:counterparty_detail", args=[check.counterparty_id])).content.decode()
    assert reverse("dashboard:check_proof", args=[check.pk]) in page
    assert reverse("dashboard:check_proof_pdf", args=[check.pk]) in page
    assert f"{reverse('dashboard:audit')}?counterparty={check.counterparty_id}" in page
    assert f"{reverse('dashboard:alert_list')}?counterparty={check.counterparty_id}" in page


@pytest.mark.parametrize("scope", ["workspace", "counterparty"])
def test_many_checks_as_xlsx_are_written_in_the_background_uncapped_and_offered_for_download(
    owner, outsider, check, settings, tmp_path, django_capture_on_commit_callbacks, scope
):
    settings.AUDIT_EXPORT_BACKGROUND_ROWS = 1
    settings.MEDIA_ROOT = tmp_path
    later = [
        VerificationCheckFactory(counterparty=check.counterparty, started_at=AT + timedelta(minutes=n)) for n in (1, 2)
    ]
    elsewhere = VerificationCheckFactory(counterparty__workspace=owner.workspace, started_at=AT + timedelta(minutes=3))
    VerificationCheckFactory(counterparty__workspace=outsider.workspace, started_at=AT)
    query = {"date_from": "2026-06-17", "date_to": "2026-06-17"}
    if scope == "counterparty":
        query["counterparty"] = check.counterparty_id

    with django_capture_on_commit_callbacks() as callbacks:
        response = owner.client.get(reverse("dashboard:audit_export_xlsx"), query)
    export = Export.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("crm:export_detail", args=[export.pk])
    expected = [check.pk, *(c.pk for c in later)]
    if scope == "workspace":
        expected.append(elsewhere.pk)
    assert export.kind == ExportKind.CHECKS and export.expected_rows == len(expected)
    page = owner.client.get(response["Location"]).content.decode()
    assert "data-poll-export" in page and f"{len(expected)}</dd>" in page

    # A check made while the file waits for a worker is not in it: the file holds what matched when asked.
    VerificationCheckFactory(counterparty=check.counterparty, started_at=AT + timedelta(minutes=4))
    for callback in callbacks:
        callback()
    export.refresh_from_db()
    assert export.state == ExportState.DONE and export.rows == len(expected)

    state = owner.client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    download = owner.client.get(state["download_url"])
    scope_name = check.counterparty.vat_number if scope == "counterparty" else owner.workspace.slug
    assert download["Content-Disposition"] == f'attachment; filename="checks-{scope_name}-20260617-20260617.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == expected
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:Q{1 + len(expected)}"
    assert sheet["B2"].is_date and sheet["K2"].value == "WAPIAAAAW1a2b3c4"
    assert outsider.client.get(response["Location"]).status_code == 404
    assert outsider.client.get(state["download_url"]).status_code == 404


def test_csv_streams_however_many_checks(owner, check, settings):
    settings.AUDIT_EXPORT_BACKGROUND_ROWS = 0
    response = owner.client.get(
        reverse("dashboard:audit_export_csv"), {"date_from": "2026-06-17", "date_to": "2026-06-17"}
    )
    assert response.streaming and not Export.objects.exists()
    assert [row[0] for row in _csv(response)[1:]] == [str(check.pk)]
