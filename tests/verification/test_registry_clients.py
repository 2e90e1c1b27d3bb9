"""HMRC, the UID register and Brønnøysund end to end: ``verify_vat`` against the registry simulator over
real HTTP on loopback, through the clients, the shared limit, the fault mapping and the evidence."""

from __future__ import annotations

import pytest

from tests.egress_proxy import ForwardProxy
from verification import ratelimit, uid
from verification.service import verify_vat
from verification.simulator import Fault, SimulatorServer
from verification.verdicts import Requester, Status

GB, GB_REQUESTER = "GB844573897", "GB657405272"
CH, NO = "CHE993738919", "NO966567031MVA"

pytestmark = pytest.mark.usefixtures("_short_timeouts")


@pytest.fixture
def sim(registry_settings: SimulatorServer) -> SimulatorServer:
    uid.clear_cache()
    return registry_settings


@pytest.fixture
def _short_timeouts(settings) -> None:
    settings.REGISTRY_CONNECT_TIMEOUT, settings.REGISTRY_READ_TIMEOUT = 1.0, 0.5
    settings.REDIS_URL = ""  # the in-process limiter; the shared one has its own tests
    settings.REGISTRY_SLOT_WAIT = 0.2


def _registry(vat: str, **kwargs):
    verdict = verify_vat(vat, **kwargs)
    return verdict, verdict.registry_result


# --- HMRC ----------------------------------------------------------------------------------------------


def test_hmrc_valid_with_name_and_address_and_no_token_in_the_evidence(sim: SimulatorServer) -> None:
    verdict, result = _registry(GB)
    assert (verdict.overall_status, result.service) == (Status.VALID, "hmrc")
    assert (result.name, result.address) == ("THAMES VALLEY ENGINEERING LTD", "12 Riverside Way\nReading\nRG1 8AB")
    assert '"vatNumber": "844573897"' in result.raw_response
    assert "lookup/844573897" in result.raw_request and "Bearer (token withheld)" in result.raw_request
    assert verdict.consultation_number == ""


def test_hmrc_token_is_fetched_once_and_refreshed_after_a_401(sim: SimulatorServer) -> None:
    for _ in range(3):
        assert verify_vat(GB).overall_status == Status.VALID
    assert sim.stats.snapshot()["other"].get("token") == 1, "one token for every lookup until it expires"
    sim.app.national.revoke_tokens()
    assert verify_vat(GB).overall_status == Status.VALID, "a 401 fetches a new token and asks again"
    assert sim.stats.snapshot()["other"].get("token") == 2


def test_hmrc_with_a_uk_requester_stores_the_consultation_number(sim: SimulatorServer) -> None:
    sim.registry.add(GB_REQUESTER, "Our UK Ltd", "1 Street\nEC1A 1BB")
    verdict, result = _registry(GB, requester=Requester(vat_number=GB_REQUESTER))
    assert verdict.overall_status == Status.VALID
    assert len(verdict.consultation_number) == 9 and verdict.consultation_number == result.consultation_number
    assert "lookup/844573897/657405272" in result.raw_request
    assert f'"consultationNumber": "{result.consultation_number}"' in result.raw_response


def test_hmrc_unknown_requester_falls_back_and_tells_the_user(sim: SimulatorServer) -> None:
    verdict, result = _registry(GB, requester=Requester(vat_number=GB_REQUESTER))  # not VAT-registered
    assert (verdict.overall_status, result.requester_rejected, verdict.consultation_number) == (
        Status.VALID,
        True,
        "",
    )
    assert GB_REQUESTER in result.warnings[0]


def test_hmrc_a_withdrawn_number_is_invalid(sim: SimulatorServer) -> None:
    sim.registry.schedule(GB, at="2000-01-01T00:00:00Z", valid=False)
    verdict, result = _registry(GB)
    assert (verdict.overall_status, result.error_code) == (Status.INVALID, "NOT_FOUND")


def test_hmrc_without_credentials_asks_nothing_and_says_why(settings, sim: SimulatorServer) -> None:
    settings.HMRC_CLIENT_SECRET = ""
    verdict, result = _registry(GB)
    assert (verdict.overall_status, result.error_code) == (Status.UNVERIFIED, "REGISTRY_NOT_CONFIGURED")
    assert verdict.result("format").status == Status.VALID
    assert sim.stats.snapshot()["other"].get("token") is None and not sim.stats.count("hmrcLookup", "valid")


def test_hmrc_gd_and_ha_numbers_are_not_sent(sim: SimulatorServer) -> None:
    verdict, result = _registry("GBGD001")
    assert (verdict.overall_status, result.error_code) == (Status.UNVERIFIED, "NOT_CHECKABLE")


# --- The UID register ------------------------------------------------------------------------------------


def test_uid_valid_with_name_and_address_from_get_by_uid(sim: SimulatorServer) -> None:
    verdict, result = _registry("CHE-993.738.919 TVA")
    assert (verdict.overall_status, result.service, verdict.vat_number) == (Status.VALID, "uid", CH)
    assert (result.name, result.address) == ("Bergkristall Uhren AG", "Bahnhofstrasse 21\n8001 Zürich")
    assert "ValidateVatNumber" in result.raw_request and "GetByUID" in result.raw_request
    assert "ValidateVatNumberResult>true<" in result.raw_response
    assert sim.stats.count("ValidateVatNumber", "valid") == 1 and sim.stats.count("GetByUID", "found") == 1


def test_uid_not_vat_registered_and_withdrawn_are_invalid(sim: SimulatorServer) -> None:
    assert _registry("CHE311086680")[1].error_code == "NOT_VAT_REGISTERED"
    sim.registry.schedule(CH, at="2000-01-01T00:00:00Z", valid=False)
    verdict, result = _registry(CH)
    assert (verdict.overall_status, result.error_code) == (Status.INVALID, "NOT_VAT_REGISTERED")
    assert not sim.stats.count("GetByUID", "found"), "no details are fetched for an invalid number"


def test_uid_request_limit_cools_the_register_down_for_every_caller(sim: SimulatorServer) -> None:
    sim.set_fault(CH, Fault.MS_MAX_CONCURRENT_REQ, times=1)
    verdict, result = _registry(CH)
    assert (verdict.overall_status, result.error_code) == (Status.UNVERIFIED, "RATE_LIMITED")
    assert "Request_limit_exceeded" in result.raw_response
    again = verify_vat(CH).registry_result
    assert again.error_code == "RATE_LIMITED" and "cooling down" in again.message
    assert sim.stats.count("ValidateVatNumber", "valid") == 0, "the cooled-down register was not asked"


# --- Brønnøysund -------------------------------------------------------------------------------------------


def test_brreg_valid_not_registered_deleted_and_unknown(sim: SimulatorServer) -> None:
    verdict, result = _registry("NO 966 567 031 MVA")
    assert (verdict.overall_status, result.service, verdict.vat_number) == (Status.VALID, "brreg", NO)
    assert (result.name, result.address) == ("FJELLTOPP FISKERI AS", "Strandgaten 5\n5013 BERGEN")
    assert '"registrertIMvaregisteret": true' in result.raw_response
    assert _registry("NO924636076")[1].error_code == "NOT_VAT_REGISTERED"
    assert _registry("NO949384225")[1].error_code == "DELETED"
    assert _registry("NO974760673")[1].error_code == "NOT_FOUND"


def test_brreg_a_scheduled_deletion_is_invalid(sim: SimulatorServer) -> None:
    sim.registry.schedule(NO, at="2000-01-01T00:00:00Z", deleted=True)
    assert _registry(NO)[0].overall_status == Status.INVALID


# --- Every registry: outages are never invalid -------------------------------------------------------------

OUTAGES = [
    (Fault.MS_UNAVAILABLE, {"hmrc": "HTTP_500", "uid": "SOAP_FAULT", "brreg": "HTTP_500"}),
    (Fault.MS_MAX_CONCURRENT_REQ, {"hmrc": "RATE_LIMITED", "uid": "RATE_LIMITED", "brreg": "RATE_LIMITED"}),
    (Fault.HTML_503, {"hmrc": "HTTP_503", "uid": "HTTP_503", "brreg": "HTTP_503"}),
    (Fault.BAD_XML, {"hmrc": "MALFORMED_RESPONSE", "uid": "MALFORMED_RESPONSE", "brreg": "MALFORMED_RESPONSE"}),
    (Fault.HANG, {"hmrc": "TIMEOUT", "uid": "TIMEOUT", "brreg": "TIMEOUT"}),
]


@pytest.mark.parametrize(("fault", "codes"), OUTAGES, ids=[str(fault) for fault, _ in OUTAGES])
@pytest.mark.parametrize(("vat", "service"), [(GB, "hmrc"), (CH, "uid"), (NO, "brreg")])
def test_outages_are_unverified_with_evidence(
    sim: SimulatorServer, fault: Fault, codes, vat: str, service: str
) -> None:
    sim.set_fault(vat[:2], fault)
    verdict, result = _registry(vat)
    assert (verdict.overall_status, result.service, result.error_code) == (Status.UNVERIFIED, service, codes[service])
    assert result.raw_request and result.latency_ms is not None
    if fault is not Fault.HANG:
        assert result.raw_response, "what the registry sent is kept"


def test_invalid_input_is_the_registrys_verdict(sim: SimulatorServer) -> None:
    sim.set_fault(CH, Fault.INVALID_INPUT)
    sim.set_fault(GB, Fault.INVALID_INPUT)
    assert _registry(CH)[1].error_code == "DATA_VALIDATION_FAILED"
    assert _registry(GB)[1].error_code == "INVALID_REQUEST"
    assert verify_vat(CH).overall_status == verify_vat(GB).overall_status == Status.INVALID


def test_every_registry_goes_through_the_egress_proxy(settings, sim: SimulatorServer) -> None:
    with ForwardProxy() as proxy:
        settings.EGRESS_PROXY_URL = proxy.url
        uid.clear_cache()
        assert all(verify_vat(vat).overall_status == Status.VALID for vat in (GB, CH, NO))
    asked = [entry.target for entry in proxy.asked]
    assert any("/hmrc/oauth/token" in target for target in asked)
    assert any("/hmrc/organisations/" in target for target in asked)
    assert any("/uid/V5.0/PublicServices.svc" in target for target in asked)
    assert any("/brreg/enhetsregisteret/api/enheter/966567031" in target for target in asked)


@pytest.mark.parametrize(("vat", "service", "country"), [(GB, "hmrc", "GB"), (CH, "uid", "CH"), (NO, "brreg", "NO")])
def test_each_registry_has_its_own_shared_limit(settings, sim: SimulatorServer, vat, service, country) -> None:
    settings.REGISTRY_MAX_IN_FLIGHT_PER_STATE = 1
    ratelimit.reset_limiter()
    with ratelimit.registry_slot(service, country):
        verdict, result = _registry(vat)
        assert (verdict.overall_status, result.error_code) == (Status.UNVERIFIED, "RATE_LIMITED")
        assert verify_vat("ATU72943648").overall_status == Status.VALID, "VIES's slots are not HMRC's"
    assert sim.stats.count(operation=None) == 1, "only the VIES call reached the simulator"
