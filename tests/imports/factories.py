"""Factories and file builders for the import tests: files are made here, in the test, not read from disk."""

from __future__ import annotations

import csv
import io

import factory
from openpyxl import Workbook

from imports.models import Classification, ImportJob, ImportRow, JobStatus
from tests.factories import WorkspaceFactory

HEADERS = ["VAT number", "Name", "Address", "Country", "External reference", "Tags", "Monitoring"]


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    workspace = factory.SubFactory(WorkspaceFactory)
    filename = "book.csv"
    file_format = "csv"
    encoding = "utf-8"
    delimiter = ","
    status = JobStatus.STAGED
    headers = HEADERS
    mapping = factory.LazyFunction(lambda: {"vat_number": 0, "name": 1})
    counts = factory.LazyFunction(lambda: {"rows": 1, Classification.NEW: 1})


class ImportRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRow

    job = factory.SubFactory(ImportJobFactory)
    line = factory.Sequence(lambda n: n + 2)
    cells = factory.LazyAttribute(lambda row: [row.vat_number, row.name])
    classification = Classification.NEW
    vat_number = factory.Sequence(lambda n: f"NL{n:09d}B01")
    name = factory.Sequence(lambda n: f"Imported {n} B.V.")


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8", header=HEADERS) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], *, header=HEADERS) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Book")
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
