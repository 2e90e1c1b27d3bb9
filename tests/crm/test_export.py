import csv
import io

from django.urls import reverse
from openpyxl import load_workbook

from crm.models import CheckStatus
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
