"""The preview: every row classified, nothing written to the CRM, nothing stored at all for a bad file."""

from __future__ import annotations

import pytest

from crm.models import Counterparty, CounterpartyChange, MonitoringFrequency, Tag
from imports.columns import match_headers
from imports.models import Classification, ImportJob, ImportRow, JobStatus
from imports.reading import UnreadableFile
from imports.services import job_map
from tests.factories import CounterpartyFactory

from .conftest import stage
from .factories import HEADERS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def rows_by_line(job: ImportJob) -> dict[int, ImportRow]:
    return {row.line: row for row in job.rows.all()}


def test_every_classification(workspace):
    existing = CounterpartyFactory(workspace=workspace, vat_number="FR40303265045", name="Société Générale")
    CounterpartyFactory(workspace=workspace, vat_number="ATU72943648", name="Alpenblick", address="Old street 1")
    existing.tags.add(Tag.objects.create(workspace=workspace, name="bank"))
    data = csv_bytes(
        [
            ["DE136695976", "Müller GmbH", "", "", "", "", ""],  # 2 new
            ["FR 403 032 650 45", "Société Générale", "", "", "", "bank", ""],  # 3 existing, unchanged
            ["ATU72943648", "Alpenblick Holzbau GmbH", "", "", "", "wood; supplier", "weekly"],  # 4 changed
            ["de 136.695.976", "Müller again", "", "", "", "", ""],  # 5 duplicate of 2
            ["DE12345", "Too short", "", "", "", "", ""],  # 6 refused
            ["XX123456789", "Nowhere", "", "", "", "", ""],  # 7 refused
        ]
    )
    job = stage(workspace, data)
    rows = rows_by_line(job)
    assert {line: row.classification for line, row in rows.items()} == {
        2: Classification.NEW,
        3: Classification.UNCHANGED,
        4: Classification.CHANGED,
        5: Classification.DUPLICATE,
        6: Classification.REFUSED,
        7: Classification.REFUSED,
    }
    assert job.counts == {"rows": 6, "new": 1, "unchanged": 1, "changed": 1, "duplicate": 1, "refused": 2}
    assert rows[4].changes == {
        "name": ["Alpenblick", "Alpenblick Holzbau GmbH"],
        "monitoring": ["off", "weekly"],
        "tags": [[], ["supplier", "wood"]],
    }
    assert "row 2" in rows[5].reason
    assert rows[6].reason == "DE numbers are 9 digits, e.g. DE136695976. This one has 5 characters."
    assert "XX is not a country code" in rows[7].reason
    # The preview writes nothing to the CRM.
    assert Counterparty.objects.filter(workspace=workspace).count() == 2
    assert not CounterpartyChange.objects.exists()


def test_greece_is_read_as_el_and_a_bad_check_digit_is_taken_with_a_warning(workspace):
    job = stage(workspace, csv_bytes([["GR094259216"], ["DE136695977"]], header=["VAT"]))
    rows = rows_by_line(job)
    assert (rows[2].vat_number, rows[2].classification, rows[2].warning) == ("EL094259216", "new", "")
    assert (rows[3].vat_number, rows[3].classification) == ("DE136695977", "new")
    assert "check digit" in rows[3].warning


def test_the_country_column_completes_or_contradicts_the_number(workspace):
    data = csv_bytes(
        [["136695976", "", "", "DE"], ["094259216", "", "", "GR"], ["DE136695976", "", "", "FR"], ["1", "", "", "QQ"]],
        header=HEADERS[:4],
    )
    rows = rows_by_line(stage(workspace, data))
    assert rows[2].vat_number == "DE136695976"
    assert rows[3].vat_number == "EL094259216"
    assert rows[4].classification == Classification.REFUSED and "country column says FR" in rows[4].reason
    assert rows[5].classification == Classification.REFUSED


def test_tags_monitoring_and_references_are_read(workspace):
    data = csv_bytes(
        [
            ["DE136695976", "A", "", "", "ERP-1", "supplier; DACH, supplier", "Ежедневно"],
            ["FR40303265045", "B", "", "", "ERP-1", "", ""],
            ["ATU72943648", "C", "", "", "", "", "sometimes"],
            ["BE0106411968", "D", "", "", "", "x" * 51, ""],
        ]
    )
    rows = rows_by_line(stage(workspace, data))
    assert (rows[2].tags, rows[2].monitoring, rows[2].external_reference) == (["supplier", "DACH"], "daily", "ERP-1")
    assert "also on row 2" in rows[3].reason
    assert "daily, weekly or off" in rows[4].reason
    assert "longer than 50" in rows[5].reason


def test_an_external_reference_of_another_counterparty_is_refused(workspace):
    CounterpartyFactory(workspace=workspace, vat_number="FR40303265045", external_reference="ERP-7")
    rows = rows_by_line(stage(workspace, csv_bytes([["DE136695976", "", "", "", "ERP-7", "", ""]])))
    assert rows[2].classification == Classification.REFUSED
    assert "belongs to FR40303265045" in rows[2].reason


def test_formula_cells_are_text_never_evaluated(workspace):
    data = xlsx_bytes(
        [["DE136695976", '=HYPERLINK("http://evil.example","Click")', "@SUM(1)"], ["=1+1", "Formula VAT"]],
        header=HEADERS[:3],
    )
    rows = rows_by_line(stage(workspace, data, "book.xlsx"))
    assert rows[2].name == '=HYPERLINK("http://evil.example","Click")' and rows[2].address == "@SUM(1)"
    assert rows[3].classification == Classification.REFUSED and "cannot contain" in rows[3].reason


def test_a_one_megabyte_cell_refuses_its_row_with_a_clear_message(workspace):
    data = csv_bytes([["FR40303265045", "x" * 2**20], ["DE136695976", "Fine"]], header=HEADERS[:2])
    job = stage(workspace, data)
    rows = rows_by_line(job)
    assert rows[2].classification == Classification.REFUSED
    assert rows[2].reason == "Column 2 holds 1048576 characters; a cell may hold at most 1000."
    assert len(rows[2].cells[1]) < 2000  # the huge cell is not kept
    assert rows[3].classification == Classification.NEW


def test_unstorable_text_refuses_its_row(workspace):
    # Past the first 4 KiB, which decide whether the file is text at all.
    data = csv_bytes([["FR40303265045", "x" * 100]] * 50 + [["DE136695976", "Nul\x00name"]], header=HEADERS[:2])
    rows = rows_by_line(stage(workspace, data))
    assert rows[52].classification == Classification.REFUSED and "cannot be stored" in rows[52].reason


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["VAT Number", "Company Name", "ADDRESS"], {"vat_number": 0, "name": 1, "address": 2}),
        (["  vat_no ", "Tags", "External-Ref"], {"vat_number": 0, "tags": 1, "external_reference": 2}),
        (
            ["Номер НДС", "Наименование", "Адрес", "Страна", "Мониторинг"],
            {"vat_number": 0, "name": 1, "address": 2, "country": 3, "monitoring": 4},
        ),
        (["Steuernummer", "Firma"], {}),
    ],
)
def test_headers_are_matched_by_their_known_names(headers, expected):
    assert match_headers(headers) == expected


def test_unknown_headers_wait_for_a_mapping_then_classify(workspace):
    data = csv_bytes([["Holzbau", "DE136695976"], ["Bank", "FR40303265045"]], header=["Firma", "Steuernummer"])
    job = stage(workspace, data)
    assert job.status == JobStatus.MAPPING
    assert set(job.rows.values_list("classification", flat=True)) == {""}
    job = job_map(job=job, mapping={"vat_number": 1, "name": 0})
    assert job.status == JobStatus.STAGED and job.counts["new"] == 2
    assert rows_by_line(job)[2].name == "Holzbau"


def test_a_bad_row_past_the_limit_leaves_nothing_stored(workspace, settings):
    settings.IMPORT_MAX_ROWS = 1500  # past the first batch of rows inserted
    with pytest.raises(UnreadableFile):
        stage(workspace, csv_bytes([[f"DE{n:09d}"] for n in range(1501)], header=["VAT"]))
    assert not ImportJob.objects.exists() and not ImportRow.objects.exists()


def test_a_truncated_file_leaves_nothing_stored(workspace):
    data = csv_bytes([["DE136695976", "Ромашка"]] * 1500, header=HEADERS[:2]) + b'FR40303265045,"cut'
    with pytest.raises(UnreadableFile, match="cut off"):
        stage(workspace, data)
    assert not ImportJob.objects.exists() and not ImportRow.objects.exists()


def test_a_header_without_rows_is_an_error(workspace):
    with pytest.raises(UnreadableFile, match="no rows below"):
        stage(workspace, csv_bytes([]))
    assert not ImportJob.objects.exists()


def test_another_workspace_s_counterparties_do_not_count_as_existing(workspace, outsider):
    CounterpartyFactory(workspace=outsider.workspace, vat_number="DE136695976", external_reference="ERP-1")
    rows = rows_by_line(stage(workspace, csv_bytes([["DE136695976", "", "", "", "ERP-1", "", "off"]])))
    assert rows[2].classification == Classification.NEW


def test_monitoring_off_in_the_file_is_a_change_only_when_it_differs(workspace):
    CounterpartyFactory(workspace=workspace, vat_number="DE136695976", monitoring=MonitoringFrequency.DAILY)
    rows = rows_by_line(stage(workspace, csv_bytes([["DE136695976", "", "", "", "", "", "off"]])))
    assert rows[2].changes == {"monitoring": ["daily", "off"]}
