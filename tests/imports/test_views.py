"""The import pages as a person uses them: upload, map, preview, commit, progress, report; viewers read only."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from crm.models import Counterparty, Role
from imports.models import ImportJob, JobStatus
from tests.conftest import _actor
from tests.factories import CounterpartyFactory

from .factories import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name: str = "book.csv"):
    """Upload as a person does; the reading's message, sent on commit, runs at once (tasks are eager here)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("imports:upload"), {"file": SimpleUploadedFile(name, data)})


def test_upload_preview_commit_progress_and_report(owner, settings):
    CounterpartyFactory(workspace=owner.workspace, vat_number="FR40303265045", name="Old name")
    data = csv_bytes(
        [["DE136695976", "Müller"], ["FR40303265045", "=cmd|' /C calc'!A0"], ["DE1", "Bad"]], header=["VAT", "Name"]
    )
    response = upload(owner.client, data)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports:job", args=[job.pk])

    page = owner.client.get(response.url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Preview: nothing is saved yet" in text and "Import 2 rows" in text
    assert Counterparty.objects.filter(workspace=owner.workspace).count() == 1
    refused = owner.client.get(response.url, {"show": "refused"}).content.decode()
    assert "DE numbers are 9 digits" in refused and "Müller" not in refused

    assert owner.client.post(reverse("imports:commit", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.VERIFYING
    assert Counterparty.objects.filter(workspace=owner.workspace).count() == 2
    page = owner.client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'data-import-progress="/imports/' in page and "js/imports.js" in page

    progress = owner.client.get(reverse("imports:progress", args=[job.pk])).json()
    assert {key: progress[key] for key in ("to_verify", "done", "left", "finished")} == {
        "to_verify": 1,
        "done": 0,
        "left": 1,
        "finished": False,
    }

    report = owner.client.get(reverse("imports:report_csv", args=[job.pk]))
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert lines[0][:3] == ["Row", "VAT number (file)", "VAT number"]
    assert [line[5] for line in lines[1:]] == ["New", "Already in the CRM, would change", "Refused"]
    assert lines[2][3] == "'=cmd|' /C calc'!A0"  # a formula from the file stays text in the report
    assert lines[1][8] == "waiting"
    workbook = load_workbook(io.BytesIO(owner.client.get(reverse("imports:report_xlsx", args=[job.pk])).content))
    assert workbook.active.max_row == 4


def test_unknown_headers_go_through_the_mapping_step(owner):
    response = upload(owner.client, csv_bytes([["Holz", "DE136695976"]], header=["Firma", "Steuernummer"]))
    job = ImportJob.objects.get()
    assert response.url == reverse("imports:job", args=[job.pk])
    columns = reverse("imports:mapping", args=[job.pk])
    assert owner.client.get(response.url).url == columns  # once read, the job's page asks for the columns
    page = owner.client.get(columns)
    assert "Steuernummer" in page.content.decode()
    twice = owner.client.post(columns, {"vat_number": "1", "name": "1"})
    assert twice.status_code == 400 and "one field only" in twice.content.decode()
    done = owner.client.post(columns, {"vat_number": "1", "name": "0"})
    assert done.url == reverse("imports:job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.STAGED and job.rows.get().name == "Holz"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "book.csv", "empty"),
        (b"PK\x03\x04nope", "book.xlsx", "damaged or incomplete"),
        ("VAT\r\n".encode("utf-16"), "book.csv", "UTF-16"),
    ],
)
def test_unreadable_uploads_are_shown_again_with_the_reason(owner, data, name, message):
    response = upload(owner.client, data, name)
    assert response.status_code == 400 and message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused(owner, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    response = upload(owner.client, csv_bytes([["DE136695976", "x" * 200]], header=["VAT", "Name"]))
    assert response.status_code == 400 and "larger than" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_xlsx_upload_works_like_a_csv(owner):
    upload(owner.client, xlsx_bytes([["DE136695976", "Müller"]], header=["VAT number", "Name"]), "book.xlsx")
    assert ImportJob.objects.get().counts["new"] == 1


def test_discard_deletes_the_preview(owner):
    upload(owner.client, csv_bytes([["DE136695976"]], header=["VAT"]))
    job = ImportJob.objects.get()
    assert owner.client.post(reverse("imports:discard", args=[job.pk])).status_code == 302
    assert not ImportJob.objects.exists()


def test_a_viewer_reads_and_exports_but_cannot_import(owner, workspace):
    viewer = _actor(workspace, Role.VIEWER)
    upload(owner.client, csv_bytes([["DE136695976"]], header=["VAT"]))
    job = ImportJob.objects.get()
    page = viewer.client.get(reverse("imports:upload"))
    assert page.status_code == 200 and "Viewers cannot import" in page.content.decode()
    assert upload(viewer.client, csv_bytes([["FR40303265045"]], header=["VAT"])).status_code == 403
    assert viewer.client.post(reverse("imports:commit", args=[job.pk])).status_code == 403
    assert viewer.client.post(reverse("imports:discard", args=[job.pk])).status_code == 403
    assert viewer.client.get(reverse("imports:mapping", args=[job.pk])).status_code == 403
    assert viewer.client.get(reverse("imports:job", args=[job.pk])).status_code == 200
    assert viewer.client.get(reverse("imports:report_csv", args=[job.pk])).status_code == 200
    assert ImportJob.objects.count() == 1 and not Counterparty.objects.exists()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_template_downloads_and_imports_as_it_is(owner, file_format):
    response = owner.client.get(reverse(f"imports:template_{file_format}"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    upload(owner.client, response.content, f"template.{file_format}")
    job = ImportJob.objects.get()
    row = job.rows.get()
    assert (row.vat_number, row.tags, row.monitoring, row.external_reference) == (
        "DE136695976",
        ["supplier", "DACH"],
        "weekly",
        "ERP-1001",
    )


def test_a_truncated_multipart_upload_stores_nothing(owner):
    body = (
        b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="book.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\nVAT\r\nDE136695976\r\nFR403"
    )
    response = owner.client.generic(
        "POST", reverse("imports:upload"), body, content_type="multipart/form-data; boundary=XYZ"
    )
    assert response.status_code in (400, 403)
    assert not ImportJob.objects.exists()


def test_the_menu_offers_import_to_members_not_to_viewers(owner, workspace):
    viewer = _actor(workspace, Role.VIEWER)
    link = f'href="{reverse("imports:upload")}"'
    assert link in owner.client.get(reverse("crm:counterparty_list")).content.decode()
    assert link not in viewer.client.get(reverse("crm:counterparty_list")).content.decode()


def test_the_same_file_uploaded_again_adds_nothing_and_the_history_shows_the_import(owner):
    data = csv_bytes([["DE136695976", "Müller GmbH"], ["FR40303265045", "Dupont SA"]], header=["VAT", "Name"])
    upload(owner.client, data)
    first = ImportJob.objects.get()
    owner.client.post(reverse("imports:commit", args=[first.pk]))
    counterparty = Counterparty.objects.get(vat_number="DE136695976")
    history = owner.client.get(reverse("crm:counterparty_detail", args=[counterparty.pk])).content.decode()
    assert "Imported" in history and owner.user.email in history and "Müller GmbH" in history

    again = upload(owner.client, data, "book-again.csv")
    second = ImportJob.objects.exclude(pk=first.pk).get()
    page = owner.client.get(again.url).content.decode()
    assert second.counts.get("unchanged") == 2 and not second.accepted
    assert "Nothing to import" in page
    assert owner.client.post(reverse("imports:commit", args=[second.pk])).status_code == 302
    assert Counterparty.objects.filter(workspace=owner.workspace).count() == 2
    assert counterparty.changes.count() == 1
