"""Raw evidence is stored deflated and read back byte for byte (crm/evidence.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm.evidence import DICTIONARIES, compress, decompress
from crm.models import CheckResult
from tests.factories import CheckResultFactory, VerificationCheckFactory

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "registries"
ENVELOPES = sorted(SAMPLES.glob("*/soap/*.xml")) + sorted(SAMPLES.glob("*/samples/*.json"))


def stored_bytes(result: CheckResult) -> tuple[int, int]:
    """The columns' sizes as the database holds them, read without the model."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT length(raw_request), length(raw_response) FROM crm_checkresult WHERE id = %s",
            [result.pk],
        )
        return cursor.fetchone()


@pytest.mark.parametrize("path", ENVELOPES, ids=lambda path: path.name)
def test_every_captured_envelope_comes_back_exactly(path):
    text = path.read_text(encoding="utf-8")
    assert decompress(compress(text)) == text


@pytest.mark.parametrize("text", ["", "x", "名前 Ünïcödé — «quotes» \r\n\t", "<a>" * 20000, "\x00\x01binary-ish"])
def test_any_text_comes_back_exactly(text):
    assert decompress(compress(text)) == text


def test_the_stored_form_names_its_dictionary_so_old_rows_stay_readable():
    stored = compress("<env:Envelope/>")
    assert stored[0] in DICTIONARIES
    assert compress("") == b"", "nothing stored for no evidence"


@pytest.mark.django_db
def test_a_vies_exchange_is_stored_in_a_fraction_of_its_size_and_read_back_verbatim():
    response = (SAMPLES / "vies/soap/checkVatApprox-response-ES-valid-matchcodes-2023-01.xml").read_text()
    request = (SAMPLES / "vies/soap/checkVatApprox-request-ES-with-trader-fields.xml").read_text()
    result = CheckResultFactory(raw_request=request, raw_response=response)

    request_bytes, response_bytes = stored_bytes(result)
    assert response_bytes < len(response.encode()) / 4
    assert request_bytes < len(request.encode()) / 2

    fresh = CheckResult.objects.get(pk=result.pk)
    assert (fresh.raw_request, fresh.raw_response) == (request, response)
    assert CheckResult.objects.filter(pk=result.pk).values_list("raw_response", flat=True).get() == response


@pytest.mark.django_db
def test_an_unsaved_result_and_a_result_without_evidence_read_as_empty_text():
    assert CheckResult().raw_response == ""
    result = CheckResultFactory(raw_response="")
    assert CheckResult.objects.get(pk=result.pk).raw_response == ""
    assert stored_bytes(result) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_the_migration_compresses_existing_rows_and_reverses(require_postgres):
    before, after = [("crm", "0008_team_roles_and_requester_check")], [("crm", "0009_compressed_evidence")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    workspace_id = old.get_model("crm", "Workspace").objects.create(name="W", slug="w-evidence").pk
    counterparty = old.get_model("crm", "Counterparty").objects.create(
        workspace_id=workspace_id, vat_number="NL123456789B01", country_code="NL"
    )
    check = old.get_model("crm", "VerificationCheck").objects.create(
        workspace_id=workspace_id, counterparty_id=counterparty.pk, overall_status="valid"
    )
    old_result = old.get_model("crm", "CheckResult").objects.create(
        check_run_id=check.pk, service="vies", status="valid", raw_request="<q>é</q>", raw_response="<a>ü</a>"
    )

    MigrationExecutor(connection).migrate(after)
    result = CheckResult.objects.get(pk=old_result.pk)
    assert (result.raw_request, result.raw_response) == ("<q>é</q>", "<a>ü</a>")

    MigrationExecutor(connection).migrate(before)
    with connection.cursor() as cursor:
        cursor.execute("SELECT raw_request, raw_response FROM crm_checkresult WHERE id = %s", [old_result.pk])
        assert cursor.fetchone() == ("<q>é</q>", "<a>ü</a>")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_checks_made_through_the_factory_chain_keep_their_evidence():
    check = VerificationCheckFactory()
    CheckResultFactory(check_run=check, raw_response="<env:Envelope>é</env:Envelope>")
    assert [r.raw_response for r in check.results.all()] == ["<env:Envelope>é</env:Envelope>"]
