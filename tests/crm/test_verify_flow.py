"""/verify/ end to end: the real VIES client over HTTP against the registry simulator."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from crm.models import CheckStatus, CheckTrigger, Company, Counterparty, VerificationCheck
from crm.tasks import verification_retry
from tests.factories import CompanyFactory, CounterpartyFactory

VALID_AT = "ATU72943648"  # Alpenblick Holzbau GmbH in the simulator's demo registry
WITHHOLDING_DE = "DE175782214"  # valid, name and address '---'
pytestmark = pytest.mark.usefixtures("vies_settings")


@pytest.fixture
def requester(owner):
    return CompanyFactory(workspace=owner.workspace, vat_number="IE6388047V", name="Requester Ltd")


def test_verify_form_prefills_the_requester_company(owner, requester):
    response = owner.client.get(reverse("crm:verify"))
    assert response.status_code == 200
    assert response.context["form"].initial["requester_vat_number"] == "IE6388047V"


def test_valid_number_is_stored_with_evidence_and_shown(owner, requester):
    response = owner.client.post(reverse("crm:verify"), {"vat_number": "at u 7294.3648", "name": "Alpenblick"})
    counterparty = Counterparty.objects.get(workspace=owner.workspace, vat_number=VALID_AT)
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:counterparty_detail", args=[counterparty.pk])

    check = counterparty.checks.get()
    assert check.overall_status == CheckStatus.VALID and check.triggered_by == owner.user
    assert check.consultation_number  # checkVatApprox with the requester
    assert {r.service: r.status for r in check.results.all()} == {"format": "valid", "vies": "valid"}
    vies = check.results.get(service="vies")
    assert "checkVatApproxResponse" in vies.raw_response and vies.raw_request
    assert {r.country_code for r in check.results.all()} == {"AT"}  # the member state asked, for the metrics
    assert counterparty.status == CheckStatus.VALID
    assert counterparty.registered_name == "Alpenblick Holzbau GmbH"
    assert counterparty.name == "Alpenblick"

    page = owner.client.get(response["Location"]).content.decode()
    assert "Alpenblick Holzbau GmbH" in page and check.consultation_number in page


def test_json_answer(owner, requester):
    response = owner.client.post(reverse("crm:verify"), {"vat_number": VALID_AT}, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    body = response.json()
    check = VerificationCheck.objects.get()
    assert body["check_id"] == check.pk and body["counterparty_id"] == check.counterparty_id
    assert body["overall_status"] == "valid" and 0 <= body["confidence_score"] <= 100
    assert body["overall_status_label"] == "Valid"
    assert body["consultation_number"] == check.consultation_number
    assert [r["service"] for r in body["results"]] == ["format", "vies"]
    assert body["results"][1]["name"] == "Alpenblick Holzbau GmbH"
    assert set(body["results"][1]) == {"service", "status", "status_label", "name", "address", "error_code"}


def test_json_first_use_creates_the_requester_company(owner):
    response = owner.client.post(
        reverse("crm:verify"),
        {"vat_number": VALID_AT, "requester_vat_number": "ie 5865506e", "requester_name": "Us Ltd"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    company = Company.objects.get(workspace=owner.workspace)
    assert (company.vat_number, company.name) == ("IE5865506E", "Us Ltd")
    assert company.registry_status == "valid"  # asked of the registry as it was entered
    assert response.json()["consultation_number"]


@pytest.mark.parametrize(
    ("vat_number", "code"),
    [("", "required"), ("DE12", "invalid_length"), ("XX123456789", "unknown_country"), ("12345", None)],
)
def test_what_cannot_be_a_vat_number_is_a_field_error(owner, vat_number, code):
    response = owner.client.post(reverse("crm:verify"), {"vat_number": vat_number}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]["vat_number"]
    assert errors and errors[0]["message"]
    if code:
        assert errors[0]["code"] == code
    html = owner.client.post(reverse("crm:verify"), {"vat_number": vat_number})
    assert html.status_code == 400 and b"errorlist" in html.content
    assert not Counterparty.objects.exists()


def test_withheld_name_is_not_disclosed_not_a_name(owner, requester):
    owner.client.post(reverse("crm:verify"), {"vat_number": WITHHOLDING_DE})
    counterparty = Counterparty.objects.get(vat_number=WITHHOLDING_DE)
    assert counterparty.status == CheckStatus.VALID
    assert counterparty.registered_name is None and counterparty.registered_address is None
    assert (
        "not disclosed" in owner.client.get(reverse("crm:counterparty_detail", args=[counterparty.pk])).content.decode()
    )


def test_verifying_again_keeps_one_counterparty_with_two_checks(owner, requester):
    for _ in range(2):
        owner.client.post(reverse("crm:verify"), {"vat_number": VALID_AT})
    counterparty = Counterparty.objects.get()
    assert counterparty.checks.count() == 2


def test_new_counterparty_follows_the_workspace_monitoring_setting(owner, requester):
    owner.workspace.monitor_new_counterparties = True
    owner.workspace.save()
    owner.client.post(reverse("crm:verify"), {"vat_number": VALID_AT})
    counterparty = Counterparty.objects.get()
    assert counterparty.monitoring == "daily" and counterparty.next_check_due_at > timezone.now()


def test_outage_is_unverified_keeps_the_last_status_and_is_retried(
    owner, requester, vies_settings, django_capture_on_commit_callbacks
):
    counterparty = CounterpartyFactory(workspace=owner.workspace, vat_number=VALID_AT, status=CheckStatus.VALID)
    vies_settings.set_fault(VALID_AT, "MS_UNAVAILABLE")

    with django_capture_on_commit_callbacks() as callbacks:
        response = owner.client.post(reverse("crm:verify"), {"vat_number": VALID_AT}, follow=True)
    assert len(callbacks) == 1  # the retry waits for the commit
    counterparty.refresh_from_db()
    assert counterparty.last_check.overall_status == CheckStatus.UNVERIFIED
    assert counterparty.last_check.results.get(service="vies").error_code == "MS_UNAVAILABLE"
    assert counterparty.status == CheckStatus.VALID  # an outage is never "invalid"
    assert counterparty.retry_at is not None and counterparty.retry_attempts == 1
    assert "asked again automatically" in response.content.decode()

    # The retry's message arrives after its delay; the registry is back.
    vies_settings.set_fault(VALID_AT, None)
    with time_machine.travel(counterparty.retry_at, tick=True):
        verification_retry.delay(counterparty.pk)
        verification_retry.delay(counterparty.pk)  # the same message delivered twice
    counterparty.refresh_from_db()
    assert counterparty.last_check.overall_status == CheckStatus.VALID
    assert counterparty.last_check.trigger == CheckTrigger.RETRY
    assert counterparty.checks.filter(trigger=CheckTrigger.RETRY).count() == 1
    assert counterparty.retry_at is None and counterparty.retry_attempts == 0


def test_retries_stop_at_the_limit(owner, requester, vies_settings, settings):
    settings.VERIFICATION_RETRY_MAX_ATTEMPTS = 2
    vies_settings.set_fault(VALID_AT, "SERVICE_UNAVAILABLE")
    owner.client.post(reverse("crm:verify"), {"vat_number": VALID_AT})
    counterparty = Counterparty.objects.get()
    for _ in range(3):
        counterparty.refresh_from_db()
        if counterparty.retry_at is None:
            break
        with time_machine.travel(counterparty.retry_at, tick=True):
            verification_retry.delay(counterparty.pk)
    counterparty.refresh_from_db()
    assert counterparty.retry_at is None
    assert counterparty.checks.count() == 3  # the first check and two retries
    assert counterparty.status is None  # never answered: no status was invented


def test_rejected_requester_falls_back_and_tells_the_user(owner, vies_settings):
    CompanyFactory(workspace=owner.workspace, vat_number="IE6388047V")
    vies_settings.set_fault("IE6388047V", "INVALID_REQUESTER_INFO")
    vies_settings.set_fault(VALID_AT, "INVALID_REQUESTER_INFO", times=1)
    owner.client.post(reverse("crm:verify"), {"vat_number": VALID_AT})
    check = VerificationCheck.objects.get()
    assert check.overall_status == CheckStatus.VALID  # answered by checkVat instead
    assert Company.objects.get().requester_rejected_at is not None
    assert b"refused IE6388047V as requester" in owner.client.get(reverse("crm:verify")).content


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("Wrong Name SA", None), ("Naranjos del Levante SL", "Naranjos del Levante SL")],
)
def test_a_withholding_state_echoing_our_name_is_not_a_registered_name(owner, requester, typed, stored):
    """Spain answers checkVatApprox with the trader name we sent: only a matching one (code 1) is kept."""
    owner.client.post(reverse("crm:verify"), {"vat_number": "ESB29498003", "name": typed})
    counterparty = Counterparty.objects.get()
    vies = counterparty.last_check.results.get(service="vies")
    assert counterparty.registered_name == stored
    assert vies.match_codes["name"] == ("1" if stored else "2")


def test_a_second_outage_is_retried_too(owner, requester, vies_settings):
    """Retry keys are per scheduled retry: the second outage's first retry is not the first outage's."""
    vies_settings.set_fault(VALID_AT, "MS_UNAVAILABLE", times=1)
    owner.client.post(reverse("crm:verify"), {"vat_number": VALID_AT})
    counterparty = Counterparty.objects.get()
    with time_machine.travel(counterparty.retry_at, tick=True):
        verification_retry.delay(counterparty.pk)
    counterparty.refresh_from_db()
    assert counterparty.status == CheckStatus.VALID and counterparty.retry_at is None

    vies_settings.set_fault(VALID_AT, "MS_UNAVAILABLE", times=1)
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1), tick=True):
        owner.client.post(reverse("crm:verify"), {"vat_number": VALID_AT})
        counterparty.refresh_from_db()
        assert counterparty.retry_at is not None
        with time_machine.travel(counterparty.retry_at, tick=True):
            verification_retry.delay(counterparty.pk)
    counterparty.refresh_from_db()
    assert counterparty.last_check.overall_status == CheckStatus.VALID
    assert counterparty.checks.filter(trigger=CheckTrigger.RETRY).count() == 2
    assert counterparty.retry_at is None


def test_after_the_retries_ran_out_a_person_asking_again_starts_a_fresh_series(
    owner, requester, vies_settings, settings
):
    settings.VERIFICATION_RETRY_MAX_ATTEMPTS = 1
    vies_settings.set_fault(VALID_AT, "SERVICE_UNAVAILABLE")
    owner.client.post(reverse("crm:verify"), {"vat_number": VALID_AT})
    counterparty = Counterparty.objects.get()
    with time_machine.travel(counterparty.retry_at, tick=True):
        verification_retry.delay(counterparty.pk)
    counterparty.refresh_from_db()
    assert counterparty.retry_at is None  # ran out
    page = owner.client.get(reverse("crm:counterparty_detail", args=[counterparty.pk])).content.decode()
    assert "retries ran out" in page

    response = owner.client.post(reverse("crm:verify"), {"vat_number": VALID_AT}, follow=True)
    counterparty.refresh_from_db()
    assert counterparty.retry_at is not None and counterparty.retry_attempts == 1
    assert "retried automatically" in response.content.decode()
    assert "retries ran out" not in response.content.decode()
