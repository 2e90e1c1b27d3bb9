"""The proof of a check, as a page and as a PDF, in Russian (the PDF's font writes Cyrillic)."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import CheckResultFactory, VerificationCheckFactory


def test_the_proof_of_a_check_in_russian(russian):
    check = VerificationCheckFactory(
        counterparty__workspace=russian.workspace, counterparty__name="Ёлка", consultation_number="WAPIAAAA1"
    )
    CheckResultFactory(check_run=check)
    page = russian.client.get(reverse("dashboard:check_proof", args=[check.pk])).content.decode()
    assert "Подтверждение проверки номера НДС" in page and "Номер консультации" in page

    pdf = russian.client.get(reverse("dashboard:check_proof_pdf", args=[check.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
