"""The upload answers at once and a worker reads the file: the page follows the reading, survives a reload and
a lost message, and a file found unreadable only when read whole still gets its message, with nothing saved."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crm.models import Counterparty
from imports.models import ImportJob, ImportRow, JobStatus
from imports.services import imports_reconcile, job_read

from .factories import csv_bytes

pytestmark = pytest.mark.django_db
BOOK = csv_bytes([["DE136695976", "Müller"], ["FR40303265045", "Dupont"]], header=["VAT", "Name"])


def post(client, data: bytes, name: str = "book.csv"):
    return client.post(reverse("imports:upload"), {"file": SimpleUploadedFile(name, data)})


def test_the_upload_answers_before_the_file_is_read_and_the_page_follows_the_reading(
    owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as sent:  # the reading's message, held back
        response = post(owner.client, BOOK)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports:job", args=[job.pk])
    assert len(sent) == 1
    assert job.status == JobStatus.READING and not ImportRow.objects.exists()
    assert default_storage.exists(job.upload.name) and "book.csv" not in job.upload.name

    for _reload in range(2):  # the page says the same on a reload
        page = owner.client.get(response.url).content.decode()
        assert "Reading the file" in page and f'data-import-reading="/imports/{job.pk}/progress.json"' in page
        assert "js/imports.js" in page and "<script>" not in page
    answer = owner.client.get(reverse("imports:progress", args=[job.pk])).json()
    assert (answer["status"], answer["finished"], answer["rows_read"]) == ("reading", False, 0)

    stored = job.upload.name
    with django_capture_on_commit_callbacks(execute=True):
        sent[0]()  # the worker gets the message
    job.refresh_from_db()
    assert job.status == JobStatus.STAGED and job.counts["new"] == 2 and not job.upload
    assert not default_storage.exists(stored) and ImportRow.objects.count() == 2
    assert owner.client.get(reverse("imports:progress", args=[job.pk])).json()["status"] == "staged"
    page = owner.client.get(response.url).content.decode()
    assert "Preview: nothing is saved yet" in page and "Import 2 rows" in page


def test_the_rows_read_so_far_are_told_while_reading(owner, django_capture_on_commit_callbacks):
    from imports.services import rows_read
    from imports.services import upload as module

    seen, note = [], module._note_rows_read

    def note_and_ask(job_id: int, rows: int) -> None:
        note(job_id, rows)
        seen.append(owner.client.get(reverse("imports:progress", args=[job_id])).json()["rows_read"])

    with django_capture_on_commit_callbacks() as sent:
        post(owner.client, csv_bytes([[f"DE13669597{n}"] for n in range(5)], header=["VAT"]))
    with mock.patch("imports.services.preview.BATCH", 2), mock.patch.object(module, "_note_rows_read", note_and_ask):
        sent[0]()
    job = ImportJob.objects.get()
    assert seen == [2, 4, 5]
    assert job.status == JobStatus.STAGED and rows_read(job.pk) == 0  # forgotten once read


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (csv_bytes([["DE136695976"], ["FR40303265045"], ["ATU72943648"]], header=["VAT"]), "more than 2 rows"),
        (b'VAT;Name\r\nDE136695976;"M\xc3\xbcller\r\nFR40303265045;Dupont\r\n', "Was the upload cut off?"),
        (b"VAT;Name\r\n", "no rows below it"),
        (b"VAT\r\n" + "Müller\r\n".encode() * 50 + b"\xff\xfe broken\r\n", "mixes encodings"),
    ],
)
def test_a_file_found_unreadable_by_the_worker_fails_with_its_message_and_nothing_saved(
    owner, settings, data, message, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_ROWS = 2
    with django_capture_on_commit_callbacks() as sent:
        response = post(owner.client, data)
    stored = ImportJob.objects.get().upload.name
    with django_capture_on_commit_callbacks(execute=True):
        sent[0]()  # the worker reads it
    job = ImportJob.objects.get()
    assert job.status == JobStatus.FAILED and message in job.error
    assert not ImportRow.objects.exists() and not Counterparty.objects.exists()
    assert not job.upload and not default_storage.exists(stored)
    page = owner.client.get(response.url)
    assert page.status_code == 200 and message in page.content.decode() and "Nothing was saved" in page.content.decode()
    assert owner.client.get(reverse("imports:mapping", args=[job.pk])).url == response.url
    assert owner.client.post(reverse("imports:commit", args=[job.pk])).status_code == 302
    assert not Counterparty.objects.exists()
    assert owner.client.post(reverse("imports:discard", args=[job.pk])).status_code == 302
    assert not ImportJob.objects.exists()


def test_the_worker_writes_the_reasons_in_the_language_of_the_upload(owner, django_capture_on_commit_callbacks):
    owner.client.post(reverse("set_language"), {"language": "ru", "next": "/"})  # the language switch
    with django_capture_on_commit_callbacks(execute=True):
        post(owner.client, b"VAT\r\n")
    job = ImportJob.objects.get()
    assert job.language == "ru"
    assert job.error == "В файле есть строка заголовков, но под ней нет строк: импортировать нечего."  # noqa: RUF001


def test_a_lost_reading_message_is_sent_again_and_the_file_read_once(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():  # the message never reaches a worker
        post(owner.client, BOOK)
    job = ImportJob.objects.get()
    progress = reverse("imports:progress", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.client.get(progress).json()["status"] == "reading"  # within the grace time: not lost yet
    job.refresh_from_db()
    assert job.status == JobStatus.READING

    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        answer = owner.client.get(progress).json()  # the page's poll finds it lost and sends it again
    job.refresh_from_db()
    assert job.status == JobStatus.STAGED and ImportRow.objects.count() == 2
    assert answer["status"] == "reading"  # what it was when asked; the next poll sees the preview
    assert job_read(job_id=job.pk) is None  # a duplicate message reads nothing
    assert ImportRow.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert imports_reconcile(now=later + timedelta(minutes=5)) == 0


def test_beat_sends_an_unread_upload_again(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        post(owner.client, BOOK)
    job = ImportJob.objects.get()
    with mock.patch("imports.tasks.import_read_file.delay") as delay, django_capture_on_commit_callbacks(execute=True):
        assert imports_reconcile(now=timezone.now() + timedelta(minutes=5)) == 1
        assert imports_reconcile(now=timezone.now() + timedelta(minutes=5)) == 0  # just sent: not lost yet
    delay.assert_called_once_with(job.pk)


def test_a_discarded_or_expired_upload_takes_its_stored_file_with_it(
    owner, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        post(owner.client, BOOK)
        post(owner.client, BOOK, name="second.csv")
    first, second = ImportJob.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        owner.client.post(reverse("imports:discard", args=[first.pk]))
    assert not default_storage.exists(first.upload.name)
    assert job_read(job_id=first.pk) is None  # its message, arriving late, finds nothing
    with (
        mock.patch("imports.tasks.import_read_file.delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        imports_reconcile(now=timezone.now() + timedelta(days=settings.IMPORT_STAGED_RETENTION_DAYS, hours=1))
    assert not ImportJob.objects.exists() and not default_storage.exists(second.upload.name)


def test_an_upload_whose_file_is_gone_is_told_so(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        post(owner.client, BOOK)
    job = ImportJob.objects.get()
    default_storage.delete(job.upload.name)
    job_read(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "no longer on the server" in job.error
