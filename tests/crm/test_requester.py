"""First run: a workspace without its own company (the requester) is asked for it, reminded of it, and told
on every result why a check carries no consultation number."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from crm.consultation import consultation_note
from crm.models import Company, Role
from tests.factories import PASSWORD, CheckResultFactory, CompanyFactory, CounterpartyFactory, MembershipFactory

SETUP = reverse("crm:requester_setup")
VALID_AT = "ATU72943648"
KNOWN_IE = "IE5865506E"  # LIFFEY ANALYTICS LIMITED in the simulator's demo registry
DOWN_CY = "CY35203907P"  # always MS_UNAVAILABLE there


def _sign_in(user) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.first_redirect = response["Location"]
    return client


def test_a_new_account_is_asked_for_its_company_after_signing_up(client, settings, db):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response["Location"].startswith(SETUP + "?next=")
    page = client.get(response["Location"]).content.decode()
    assert "Skip for now" in page


def test_an_owner_signing_in_is_asked_until_it_is_set_then_no_more(owner):
    assert _sign_in(owner.user).first_redirect.startswith(SETUP)
    CompanyFactory(workspace=owner.workspace)
    assert _sign_in(owner.user).first_redirect == resolve_url(settings.LOGIN_REDIRECT_URL)


def test_a_member_joining_is_not_stopped_but_reminded(owner, teammate):
    assert _sign_in(teammate.user).first_redirect == resolve_url(settings.LOGIN_REDIRECT_URL)
    page = teammate.client.get(reverse("crm:counterparty_list")).content.decode()
    assert "has no requester company" in page and SETUP in page


def test_a_viewer_is_reminded_without_a_link_to_a_page_they_cannot_use(viewer):
    page = viewer.client.get(reverse("crm:counterparty_list")).content.decode()
    assert "has no requester company" in page and "Ask a member or owner" in page
    assert viewer.client.get(SETUP).status_code == 403


def test_the_company_is_verified_when_entered(owner, vies_settings):
    response = owner.client.post(SETUP, {"vat_number": "ie 5865506 e", "name": "Liffey", "next": "/crm/"})
    assert response["Location"] == "/crm/"
    company = Company.objects.get(workspace=owner.workspace)
    assert (company.vat_number, company.registry_status, company.registered_name) == (
        KNOWN_IE,
        "valid",
        "LIFFEY ANALYTICS LIMITED",
    )
    page = owner.client.get(response["Location"]).content.decode()
    assert "The registry confirmed IE5865506E" in page and "has no requester company" not in page
    assert "confirmed on" in owner.client.get(reverse("crm:workspace_settings")).content.decode()


def test_a_number_the_registry_calls_invalid_is_refused(owner, vies_settings):
    response = owner.client.post(SETUP, {"vat_number": "IE6388047V", "name": "Nobody Ltd"})
    assert response.status_code == 400
    assert "The registry says IE6388047V is not a valid VAT number" in response.content.decode()
    assert not Company.objects.exists()


def test_an_outage_is_not_invalid(owner, vies_settings):
    response = owner.client.post(SETUP, {"vat_number": DOWN_CY, "name": "Kyrenia"}, follow=True)
    company = Company.objects.get(workspace=owner.workspace)
    assert company.registry_status == "unverified"
    assert "the registry did not answer" in response.content.decode()


def test_a_malformed_number_never_reaches_the_registry(owner, vies_settings):
    response = owner.client.post(SETUP, {"vat_number": "DE12", "name": "Short"})
    assert response.status_code == 400 and vies_settings.stats.requests == 0


def test_every_result_says_why_there_is_no_consultation_number(owner, vies_settings):
    verify = reverse("crm:verify")
    assert "will carry no consultation number" in owner.client.get(verify).content.decode()
    body = owner.client.post(verify, {"vat_number": VALID_AT}, HTTP_ACCEPT="application/json").json()
    assert body["consultation_number"] == ""
    assert body["consultation_note"]["code"] == "no_requester"
    assert body["consultation_note"]["fix_url"] == SETUP
    detail = owner.client.get(reverse("crm:counterparty_detail", args=[body["counterparty_id"]])).content.decode()
    assert "the workspace has no requester company" in detail and SETUP in detail

    CompanyFactory(workspace=owner.workspace, vat_number=KNOWN_IE)
    body = owner.client.post(verify, {"vat_number": VALID_AT}, HTTP_ACCEPT="application/json").json()
    assert body["consultation_number"] and body["consultation_note"] is None


def test_an_unanswered_check_says_so(owner, vies_settings):
    CompanyFactory(workspace=owner.workspace, vat_number=KNOWN_IE)
    body = owner.client.post(reverse("crm:verify"), {"vat_number": DOWN_CY}, HTTP_ACCEPT="application/json").json()
    assert body["consultation_note"] == {
        "code": "registry_unanswered",
        "message": "No consultation number: the registry did not answer this check.",
        "fix_url": None,
    }


def test_a_second_workspace_has_its_own_requester(owner):
    CompanyFactory(workspace=owner.workspace)
    other = MembershipFactory(user=owner.user, role=Role.OWNER).workspace
    owner.client.post(reverse("crm:workspace_switch", args=[other.pk]))
    CounterpartyFactory(workspace=other)
    assert "has no requester company" in owner.client.get(reverse("crm:counterparty_list")).content.decode()


def test_a_registry_that_never_issues_one_is_named_as_the_reason(owner):
    swiss = CheckResultFactory(service="uid", check_run__counterparty__workspace=owner.workspace).check_run
    vies = CheckResultFactory(service="vies", check_run__counterparty__workspace=owner.workspace).check_run
    assert consultation_note(swiss).code == "never_issued"
    assert consultation_note(vies).code == "no_requester"
