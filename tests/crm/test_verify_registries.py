"""The Verify page and its JSON answer for numbers outside VIES: GB (HMRC), CHE (UID register), NO (Brønnøysund)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import CheckStatus, Company, Counterparty
from tests.factories import CompanyFactory
from verification import uid

pytestmark = pytest.mark.usefixtures("registry_settings")


@pytest.fixture(autouse=True)
def _fresh_uid_client() -> None:
    uid.clear_cache()


@pytest.mark.parametrize(
    ("typed", "stored", "service"),
    [
        ("gb 844 5738 97", "GB844573897", "hmrc"),
        ("CHE-993.738.919 IVA", "CHE993738919", "uid"),
        ("NO 966567031 MVA", "NO966567031MVA", "brreg"),
    ],
)
def test_the_json_endpoint_checks_them_with_their_registry(owner, typed, stored, service):
    response = owner.client.post(reverse("crm:verify"), {"vat_number": typed}, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    body = response.json()
    assert (body["vat_number"], body["overall_status"]) == (stored, "valid")
    assert [result["service"] for result in body["results"]] == ["format", service]
    counterparty = Counterparty.objects.get(workspace=owner.workspace)
    assert (counterparty.vat_number, counterparty.country_code[:2], counterparty.status) == (
        stored,
        stored[:2],
        CheckStatus.VALID,
    )


def test_the_form_stores_a_swiss_check_with_the_registered_name(owner):
    response = owner.client.post(reverse("crm:verify"), {"vat_number": "CHE993738919 MWST"}, follow=True)
    assert response.status_code == 200
    counterparty = Counterparty.objects.get(workspace=owner.workspace)
    assert (counterparty.vat_number, counterparty.registered_name) == ("CHE993738919", "Bergkristall Uhren AG")


def test_a_uk_company_as_requester_gets_hmrc_consultation_numbers(owner, registry_settings):
    registry_settings.registry.add("GB657405272", "Our UK Ltd", "1 Street\nEC1A 1BB")
    CompanyFactory(workspace=owner.workspace, vat_number="GB657405272", name="Our UK Ltd")
    response = owner.client.post(reverse("crm:verify"), {"vat_number": "GB844573897"}, HTTP_ACCEPT="application/json")
    assert len(response.json()["consultation_number"]) == 9


def test_a_check_that_takes_no_requester_leaves_the_requester_warning_alone(owner):
    rejected_at = timezone.now()
    CompanyFactory(workspace=owner.workspace, vat_number="IE6388047V", requester_rejected_at=rejected_at)
    owner.client.post(reverse("crm:verify"), {"vat_number": "NO966567031MVA"})
    assert Company.objects.get().requester_rejected_at == rejected_at, "Brønnøysund said nothing about it"
