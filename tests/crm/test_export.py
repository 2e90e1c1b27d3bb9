import csv
import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm.models import CheckStatus, Export, ExportState
from monitoring.selectors import monitoring_card
from tests.factories import CounterpartyFactory, VerificationCheckFactory


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_csv_has_the_workspace_rows_as_filtered_with_the_evidence(owner, outsider):
    valid = CounterpartyFactory(workspace=owner.workspace, vat_number="DE111111111", name="Alpha", status="valid")
    valid.last_check = VerificationCheckFactory(counterparty=valid, consultation_number="WAPIAAAA123")
    valid.save()
    CounterpartyFactory(workspace=owner.workspace, vat_number="FR22222222222", status=CheckStatus.INVALID)
    CounterpartyFactory(workspace=outsider.workspace, vat_number="NL333333333B01")

    rows = _csv(owner.client.get(reverse("crm:counterparty_export_csv")))
    assert rows[0][0] == "VAT number"
    assert sorted(row[0] for row in rows[1:]) == ["DE111111111", "FR22222222222"]  # never another workspace's

    rows = _csv(owner.client.get(reverse("crm:counterparty_export_csv"), {"status": "valid"}))
    assert [row[0] for row in rows[1:]] == ["DE111111111"]
    assert "WAPIAAAA123" in rows[1]


def test_a_registry_text_is_never_a_spreadsheet_formula(owner):
    CounterpartyFactory(workspace=owner.workspace, name='=HYPERLINK("http://x")')
    rows = _csv(owner.client.get(reverse("crm:counterparty_export_csv")))
    assert rows[1][2].startswith("'=")


def test_xlsx_opens_with_a_header_and_a_row_per_counterparty(owner):
    CounterpartyFactory.create_batch(3, workspace=owner.workspace)
    response = owner.client.get(reverse("crm:counterparty_export_xlsx"))
    assert response["Content-Disposition"].startswith('attachment; filename="counterparties-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "VAT number" and len(values) == 4


def test_export_needs_a_login(client, db):
    assert client.get(reverse("crm:counterparty_export_csv")).status_code == 302


def test_xlsx_has_real_dates_widths_a_frozen_header_and_an_autofilter(owner):
    checked = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)
    CounterpartyFactory(workspace=owner.workspace, status="valid", last_checked_at=checked, status_changed_at=checked)
    CounterpartyFactory(workspace=owner.workspace)
    sheet = load_workbook(io.BytesIO(owner.client.get(reverse("crm:counterparty_export_xlsx")).content)).active
    header = [cell.value for cell in sheet[1]]
    last_check = header.index("Last check (UTC)")  # the zone the dates are in, named in the header
    assert sheet.cell(row=2, column=last_check + 1).value == datetime(2026, 12, 3, 14, 30)
    assert sheet.cell(row=2, column=last_check + 1).is_date
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:L{sheet.max_row}" and sheet.max_row == 3
    assert sheet.column_dimensions["E"].width > sheet.column_dimensions["B"].width


def test_statuses_in_exports_are_the_vocabularys_words(owner):
    counterparty = CounterpartyFactory(workspace=owner.workspace, status=None)
    counterparty.last_check = VerificationCheckFactory(counterparty=counterparty, overall_status="unverified")
    counterparty.save()
    rows = _csv(owner.client.get(reverse("crm:counterparty_export_csv")))
    status, result = rows[0].index("Status"), rows[0].index("Last check result")
    assert (rows[1][status], rows[1][result]) == ("Not checked", "Unverified")


def test_csv_streams(owner):
    CounterpartyFactory.create_batch(3, workspace=owner.workspace)
    response = owner.client.get(reverse("crm:counterparty_export_csv"))
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"


def test_the_next_check_is_the_one_the_monitoring_card_shows(owner):
    counterparty = CounterpartyFactory(workspace=owner.workspace, status="valid", monitoring="daily")
    counterparty.schedule_next_check()
    counterparty.save()
    rows = _csv(owner.client.get(reverse("crm:counterparty_export_csv")))
    exported = rows[1][rows[0].index("Next check (UTC)")]
    card = monitoring_card(counterparty)
    assert card.next_check_at is not None and exported == f"{card.next_check_at:%Y-%m-%d %H:%M}"
    assert exported.endswith("02:00")  # the daily run's time, not the stored due time


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_long_list_is_written_in_the_background_and_offered_for_download(
    owner, settings, tmp_path, django_capture_on_commit_callbacks, file_format
):
    settings.EXPORT_BACKGROUND_ROWS = 2
    settings.MEDIA_ROOT = tmp_path
    CounterpartyFactory.create_batch(3, workspace=owner.workspace, status="valid")
    CounterpartyFactory(workspace=owner.workspace, status="invalid")

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.client.get(reverse(f"crm:counterparty_export_{file_format}"), {"status": "valid"})
    export = Export.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("crm:export_detail", args=[export.pk])
    assert export.state == ExportState.DONE and export.rows == 3 and export.requested_by == owner.user

    state = owner.client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    assert state["finished"] and state["download_url"] == reverse("crm:export_download", args=[export.pk])
    page = owner.client.get(response["Location"]).content.decode()
    assert state["download_url"] in page

    download = owner.client.get(state["download_url"])
    body = b"".join(download.streaming_content)
    assert download["Content-Disposition"].startswith('attachment; filename="counterparties-')
    if file_format == "csv":
        assert len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) == 1 + 3
    else:
        assert load_workbook(io.BytesIO(body)).active.max_row == 1 + 3


def test_a_pending_export_page_follows_the_task_and_has_no_link_yet(owner, settings):
    settings.EXPORT_BACKGROUND_ROWS = 0
    CounterpartyFactory(workspace=owner.workspace)
    response = owner.client.get(reverse("crm:counterparty_export_xlsx"))  # on_commit never runs here
    export = Export.objects.get()
    page = owner.client.get(response["Location"]).content.decode()
    assert "data-poll-export" in page and reverse("crm:export_download", args=[export.pk]) not in page
    assert owner.client.get(reverse("crm:export_download", args=[export.pk])).status_code == 404


def test_old_exports_and_their_files_are_pruned(owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    old = Export.objects.create(workspace=owner.workspace, file_format="csv", counterparty_ids=[])
    old.file.save("old.csv", ContentFile(b"x"))
    Export.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    path = old.file.path
    settings.EXPORT_BACKGROUND_ROWS = 0
    CounterpartyFactory(workspace=owner.workspace)
    owner.client.get(reverse("crm:counterparty_export_csv"))
    assert not Export.objects.filter(pk=old.pk).exists() and not os.path.exists(path)
