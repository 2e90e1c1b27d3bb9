"""The VIES client against a fake on loopback: outages are unverified, evidence is kept, WSDL loads once."""

from __future__ import annotations

import threading

import pytest

from tests.fixtures.registries import OFFICIAL_WSDL
from tests.verification.fakes import FakeVies, approx_response, check_vat_response, closed_port_url, fault
from verification import vies
from verification.vat import NormalisedVat
from verification.verdicts import Status
from verification.vies import ViesClient, ViesConfig

REQUESTER = NormalisedVat("IE", "6388047V")


@pytest.mark.parametrize(
    "fault_string",
    [
        "MS_UNAVAILABLE",
        "SERVICE_UNAVAILABLE",
        "TIMEOUT",
        "GLOBAL_MAX_CONCURRENT_REQ",
        "GLOBAL_MAX_CONCURRENT_REQ_TIME",
        "MS_MAX_CONCURRENT_REQ",
        "MS_MAX_CONCURRENT_REQ_TIME",
        "IP_BLOCKED",
        "VAT_BLOCKED",
    ],
)
def test_availability_faults_are_unverified(fault_string: str, fake_vies: FakeVies, vies_client: ViesClient) -> None:
    fake_vies.reply(fault(fault_string), status=500)
    result = vies_client.check_vat("DE", "136695976")
    assert result.status == Status.UNVERIFIED
    assert result.error_code == fault_string
    assert fault_string in result.raw_response, "the fault body is kept as evidence"
    assert "136695976" in result.raw_request


def test_unknown_fault_is_unverified_never_invalid(fake_vies: FakeVies, vies_client: ViesClient) -> None:
    fake_vies.reply(fault("SOMETHING_NEW"), status=500)
    result = vies_client.check_vat("DE", "136695976")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "SOAP_FAULT")
    assert "SOMETHING_NEW" in result.message


def test_invalid_input_fault_is_invalid(fake_vies: FakeVies, vies_client: ViesClient) -> None:
    fake_vies.reply(fault("INVALID_INPUT"), status=500)
    result = vies_client.check_vat("DE", "1")
    assert (result.status, result.error_code) == (Status.INVALID, "INVALID_INPUT")


def test_http_500_html_body_is_unverified(fake_vies: FakeVies, vies_client: ViesClient) -> None:
    html = "<html><head><title>503</title></head><body><h1>Service Unavailable<br></body></html>"
    fake_vies.reply(html, status=500, content_type="text/html")
    result = vies_client.check_vat("DE", "136695976")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "HTTP_500")
    assert result.raw_response == html


@pytest.mark.parametrize("status", [502, 503, 504])
def test_http_5xx_wellformed_non_soap_is_unverified(status: int, fake_vies: FakeVies, vies_client: ViesClient) -> None:
    fake_vies.reply("<html><body>Gateway</body></html>", status=status, content_type="text/html")
    result = vies_client.check_vat("DE", "136695976")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, f"HTTP_{status}")


def test_http_503_empty_body_is_unverified(fake_vies: FakeVies, vies_client: ViesClient) -> None:
    fake_vies.reply(b"", status=503)
    result = vies_client.check_vat("DE", "136695976")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "HTTP_503")


@pytest.mark.parametrize(
    "body",
    [
        "<html><body>Maintenance</body></html>",  # well-formed, but no envelope
        "<html><body>Maintenance<br></body></html>",  # not even XML
        "",
        check_vat_response("DE", "136695976", True).replace(">true<", ">maybe<"),
        check_vat_response("DE", "136695976", True).replace("<ns2:valid>true</ns2:valid>", ""),
        check_vat_response("DE", "136695976", True)[:120],  # cut off mid-stream
    ],
    ids=["html-200", "broken-html-200", "empty-200", "valid-flag-garbage", "valid-flag-missing", "truncated"],
)
def test_body_that_is_not_the_expected_xml_is_unverified(
    body: str, fake_vies: FakeVies, vies_client: ViesClient
) -> None:
    fake_vies.reply(body, status=200)
    result = vies_client.check_vat("DE", "136695976")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "MALFORMED_RESPONSE")


def test_answer_for_another_country_is_not_trusted(fake_vies: FakeVies, vies_client: ViesClient) -> None:
    fake_vies.reply(check_vat_response("FR", "40303265045", False))
    result = vies_client.check_vat("DE", "136695976")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "MALFORMED_RESPONSE")


def test_read_timeout_is_unverified(fake_vies: FakeVies, vies_config: ViesConfig) -> None:
    client = ViesClient(ViesConfig(**{**vies_config.__dict__, "read_timeout": 0.3}))
    fake_vies.reply(check_vat_response("DE", "136695976", True), delay=1.5)
    result = client.check_vat("DE", "136695976")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "TIMEOUT")
    assert result.latency_ms is not None and 250 <= result.latency_ms < 1400
    assert "136695976" in result.raw_request, "the request is kept even when no answer came"


def test_connection_refused_is_unverified(vies_config: ViesConfig) -> None:
    client = ViesClient(ViesConfig(**{**vies_config.__dict__, "service_url": closed_port_url()}))
    result = client.check_vat("DE", "136695976")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "CONNECTION_ERROR")


def test_unreachable_wsdl_is_unverified_and_retried_later(fake_vies: FakeVies) -> None:
    config = ViesConfig(wsdl_url=closed_port_url(), service_url=fake_vies.service_url, connect_timeout=0.5)
    result = ViesClient(config).check_vat("DE", "136695976")
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "WSDL_UNAVAILABLE")
    assert fake_vies.posts == []


def test_wsdl_is_fetched_once_for_many_calls_across_threads(fake_vies: FakeVies) -> None:
    fake_vies.reply(check_vat_response("DE", "136695976", True))
    config = ViesConfig(wsdl_url=fake_vies.wsdl_url, service_url=fake_vies.service_url)
    results = []

    def work() -> None:
        for _ in range(5):
            results.append(ViesClient(config).check_vat("DE", "136695976"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 40
    assert {r.status for r in results} == {Status.VALID}
    assert fake_vies.wsdl_gets == 1
    assert len(fake_vies.posts) == 40


def test_service_url_overrides_the_wsdl_address(fake_vies: FakeVies, official_wsdl: bytes) -> None:
    """The official WSDL points at ec.europa.eu; with VIES_SERVICE_URL the call goes to our address."""
    assert b"ec.europa.eu/taxation_customs/vies/services/checkVatService" in official_wsdl
    fake_vies.reply(check_vat_response("DE", "136695976", True))
    config = ViesConfig(wsdl_url=str(OFFICIAL_WSDL.resolve()), service_url=fake_vies.service_url)
    assert ViesClient(config).check_vat("DE", "136695976").status == Status.VALID
    assert fake_vies.posts[0].path == "/service"


def test_approx_with_requester_returns_consultation_number(fake_vies: FakeVies, vies_client: ViesClient) -> None:
    fake_vies.reply(approx_response("DE", "136695976", True, name_match="1"))
    result = vies_client.check_vat_approx("DE", "136695976", requester=REQUESTER, trader_name="Acme GmbH")
    assert result.status == Status.VALID
    assert result.consultation_number == "WAPIAAAAZ1Test01"
    assert result.match_codes == {"name": "1"}
    assert result.name is None, "--- is 'not disclosed', never a name"
    body = fake_vies.posts[0].body.decode()
    assert "requesterCountryCode>IE<" in body and "requesterVatNumber>6388047V<" in body
    assert "traderName>Acme GmbH<" in body


def test_invalid_requester_falls_back_to_check_vat(fake_vies: FakeVies, vies_client: ViesClient) -> None:
    fake_vies.reply_once(fault("INVALID_REQUESTER_INFO"), status=500)
    fake_vies.reply_once(check_vat_response("DE", "136695976", True, name="ACME GMBH"))
    result = vies_client.check_vat_approx("DE", "136695976", requester=REQUESTER)
    assert result.status == Status.VALID
    assert result.requester_rejected is True
    assert result.consultation_number == ""
    assert "IE6388047V" in result.message and "company" in result.message
    assert result.name == "ACME GMBH"
    assert [b"checkVatApprox" in p.body for p in fake_vies.posts] == [True, False]


def test_fallback_that_fails_stays_unverified(fake_vies: FakeVies, vies_client: ViesClient) -> None:
    fake_vies.reply_once(fault("INVALID_REQUESTER_INFO"), status=500)
    fake_vies.reply_once(fault("MS_UNAVAILABLE"), status=500)
    result = vies_client.check_vat_approx("DE", "136695976", requester=REQUESTER)
    assert (result.status, result.error_code, result.requester_rejected) == (
        Status.UNVERIFIED,
        "MS_UNAVAILABLE",
        True,
    )


def test_every_call_has_connect_and_read_timeouts(vies_config: ViesConfig, fake_vies: FakeVies) -> None:
    fake_vies.reply(check_vat_response("DE", "136695976", True))
    ViesClient(vies_config).check_vat("DE", "136695976")
    transport = vies._services[vies_config]._client.transport
    assert transport.operation_timeout == (1.0, 2.0)
    assert transport.load_timeout == (1.0, 2.0)
