"""`manage.py import_counterparties FILE --workspace SLUG [--dry-run] [--json]`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crm.models import Counterparty
from imports.models import ImportJob
from tests.factories import CounterpartyFactory

from .factories import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    ["DE136695976", "Müller GmbH", "", "", "", "", ""],
    ["FR40303265045", "Société Générale", "", "", "", "", ""],
    ["ATU72943648", "Alpenblick Holzbau", "", "", "", "", ""],
    ["DE136695976", "Twice", "", "", "", "", ""],
    ["DE12345", "Short", "", "", "", "", ""],
]


@pytest.fixture
def book(tmp_path, workspace):
    CounterpartyFactory(workspace=workspace, vat_number="FR40303265045", name="Société Générale")
    CounterpartyFactory(workspace=workspace, vat_number="ATU72943648", name="Alpenblick")
    path = tmp_path / "book.csv"
    path.write_bytes(csv_bytes(ROWS, delimiter=";", encoding="cp1252"))
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_counterparties", *args, stdout=out)
    return out.getvalue()


def test_dry_run_prints_the_classification_and_stores_nothing(book, workspace):
    output = run(str(book), "--workspace", workspace.slug, "--dry-run")
    assert "new 1, existing 1, changed 1, duplicates 1, refused 1" in output
    assert "row 6: Refused — DE numbers are 9 digits" in output
    assert "row 5: Duplicate within the file — The same VAT number as row 2" in output
    assert "row 4: ATU72943648 would change name: 'Alpenblick' -> 'Alpenblick Holzbau'" in output
    assert not ImportJob.objects.exists()
    assert Counterparty.objects.count() == 2


def test_json_has_the_counts_and_every_row(book, workspace):
    payload = json.loads(run(str(book), "--workspace", workspace.slug, "--dry-run", "--json"))
    assert {key: payload[key] for key in ("new", "existing", "changed", "duplicates", "refused")} == {
        "new": 1,
        "existing": 1,
        "changed": 1,
        "duplicates": 1,
        "refused": 1,
    }
    assert [row["classification"] for row in payload["rows"]] == ["new", "unchanged", "changed", "duplicate", "refused"]
    assert payload["rows"][0] == {
        "line": 2,
        "vat_number": "DE136695976",
        "classification": "new",
        "name": "Müller GmbH",
        "reason": "",
        "warning": "",
        "changes": {},
    }


def test_without_dry_run_it_imports_and_again_adds_nothing(book, workspace):
    output = run(str(book), "--workspace", workspace.slug)
    assert "1 new counterparties are verified in the background" in output
    assert Counterparty.objects.get(vat_number="DE136695976").name == "Müller GmbH"
    assert Counterparty.objects.get(vat_number="ATU72943648").name == "Alpenblick Holzbau"
    again = json.loads(run(str(book), "--workspace", workspace.slug, "--json"))
    assert (again["new"], again["changed"], again["existing"]) == (0, 0, 3)
    assert Counterparty.objects.count() == 3


def test_xlsx_works_the_same(tmp_path, workspace):
    path = tmp_path / "book.xlsx"
    path.write_bytes(xlsx_bytes(ROWS))
    assert json.loads(run(str(path), "--workspace", workspace.slug, "--dry-run", "--json"))["new"] == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04broken", "damaged or incomplete"),
        (b"Steuernummer;Firma\r\nDE136695976;x\r\n", "No column of book.csv is recognised as the VAT number"),
    ],
)
def test_unreadable_files_are_errors_and_store_nothing(tmp_path, workspace, content, message):
    path = tmp_path / "book.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(str(path), "--workspace", workspace.slug)
    assert not ImportJob.objects.exists()


def test_an_unknown_workspace_is_an_error(book):
    with pytest.raises(CommandError, match="No workspace"):
        run(str(book), "--workspace", "nope")
