"""Every captured VIES envelope in the fixtures parses to the right verdict.

The samples span the current format (``env:``/``ns2:`` prefixes, since 2022-08) and the legacy one
(``soap:`` prefix, default namespace on the payload): zeep resolves namespaces, so both must parse the
same way. The table below must cover every response and fault file: a new sample fails the test until
it is given an expectation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from lxml import etree

from tests.fixtures.registries import SOAP_SAMPLES
from tests.verification.fakes import FakeVies
from verification.vat import NormalisedVat
from verification.verdicts import Status
from verification.vies import ViesClient


@dataclass(frozen=True)
class Expected:
    operation: str  # "checkVat" or "checkVatApprox"
    country: str
    status: Status
    name: str | None = None
    address: str | None = None
    match_codes: dict[str, str] = field(default_factory=dict)
    consultation_number: str = ""
    request_date: date | None = None
    error_code: str = ""


EXPECTED: dict[str, Expected] = {
    "checkVat-response-invalid-CZ-emptyfields-2022-09.xml": Expected(
        "checkVat", "CZ", Status.INVALID, request_date=date(2022, 9, 9)
    ),
    "checkVat-response-invalid-DK-2022-08.xml": Expected(
        "checkVat", "DK", Status.INVALID, request_date=date(2022, 8, 12)
    ),
    "checkVat-response-valid-DE-name-address-dashes-2022-08.xml": Expected(
        "checkVat", "DE", Status.VALID, name=None, address=None, request_date=date(2022, 8, 15)
    ),
    "checkVat-response-valid-LU-2022-09.xml": Expected(
        "checkVat",
        "LU",
        Status.VALID,
        name="AMAZON EUROPE CORE S.A R.L.",
        address="38, AVENUE JOHN F. KENNEDY L-1855  LUXEMBOURG",
        request_date=date(2022, 9, 4),
    ),
    "checkVatApprox-response-ES-valid-matchcodes-2023-01.xml": Expected(
        "checkVatApprox",
        "ES",
        Status.VALID,
        name="Rodrisa Automoviles",
        address="Avda. Reina Victoria\n28430 Madrid",
        match_codes={"name": "1", "company_type": "3", "street": "1", "postcode": "1", "city": "2"},
        consultation_number="",
        request_date=date(2023, 1, 12),
    ),
    "checkVatApprox-response-IT-invalid-2024-02.xml": Expected(
        "checkVatApprox", "IT", Status.INVALID, request_date=date(2024, 2, 9)
    ),
    "fault-INVALID_INPUT.xml": Expected("checkVat", "XX", Status.INVALID, error_code="INVALID_INPUT"),
    "fault-MS_UNAVAILABLE.xml": Expected("checkVat", "DE", Status.UNVERIFIED, error_code="MS_UNAVAILABLE"),
    "legacy-pre-2022-08/checkVat-response-invalid-testservice-200-2017.xml": Expected(
        "checkVat", "NL", Status.INVALID, request_date=date(2017, 3, 20)
    ),
    "legacy-pre-2022-08/checkVatApprox-response-NL-valid-2018-08.xml": Expected(
        "checkVatApprox",
        "NL",
        Status.VALID,
        name="GITHUB B.V.",
        address="VIJZELSTRAAT 00068\n1017HL AMSTERDAM",
        consultation_number="WAPIAAAAWVymNggi",
        request_date=date(2018, 8, 25),
    ),
    "legacy-pre-2022-08/fault-INVALID_INPUT-legacy.xml": Expected(
        "checkVat", "XX", Status.INVALID, error_code="INVALID_INPUT"
    ),
}


def test_every_sample_has_an_expectation() -> None:
    files = {str(path.relative_to(SOAP_SAMPLES)) for path in SOAP_SAMPLES.rglob("*.xml") if "-request" not in path.name}
    assert files == set(EXPECTED)


def _call(client: ViesClient, expected: Expected) -> object:
    if expected.operation == "checkVatApprox":
        return client.check_vat_approx(expected.country, "123456789")
    return client.check_vat(expected.country, "123456789")


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_parses(sample: str, fake_vies: FakeVies, vies_client: ViesClient) -> None:
    path = SOAP_SAMPLES / sample
    expected = EXPECTED[sample]
    body = path.read_bytes()
    # VIES sends faults with HTTP 500, as SOAP 1.1 requires; responses with 200.
    fake_vies.reply(body, status=500 if "fault" in sample else 200)

    result = _call(vies_client, expected)

    assert result.service == "vies"
    assert result.status == expected.status, result.message
    assert result.error_code == expected.error_code
    assert result.name == expected.name
    assert result.address == expected.address
    assert result.match_codes == expected.match_codes
    assert result.consultation_number == expected.consultation_number
    assert result.request_date == expected.request_date
    assert result.raw_response == body.decode("utf-8"), "the raw response is kept verbatim as evidence"
    assert "<soap-env:Envelope" in result.raw_request or "Envelope" in result.raw_request
    assert result.latency_ms is not None and result.latency_ms >= 0


@pytest.mark.parametrize("sample", ["fault-INVALID_INPUT.xml", "fault-MS_UNAVAILABLE.xml"])
def test_fault_with_http_200_is_classified_the_same(sample: str, fake_vies: FakeVies, vies_client: ViesClient) -> None:
    fake_vies.reply((SOAP_SAMPLES / sample).read_bytes(), status=200)
    result = vies_client.check_vat(EXPECTED[sample].country, "123456789")
    assert (result.status, result.error_code) == (EXPECTED[sample].status, EXPECTED[sample].error_code)


def _leaves(xml: bytes | str) -> set[tuple[str, str]]:
    """The non-empty leaf elements of a SOAP body, by qualified name: prefixes and layout do not count."""
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    body = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    return {(el.tag, (el.text or "").strip()) for el in body.iter() if len(el) == 0 and (el.text or "").strip()}


def test_check_vat_request_matches_the_captured_request(fake_vies: FakeVies, vies_client: ViesClient) -> None:
    sample = SOAP_SAMPLES / "checkVat-request.xml"
    fake_vies.reply((SOAP_SAMPLES / "checkVat-response-valid-LU-2022-09.xml").read_bytes())
    result = vies_client.check_vat("IE", "6388047V")
    assert _leaves(fake_vies.posts[-1].body) == _leaves(sample.read_bytes())
    assert result.raw_request == fake_vies.posts[-1].body.decode()
    headers = {k.lower(): v for k, v in fake_vies.posts[-1].headers.items()}
    assert headers["content-type"].startswith("text/xml")
    assert headers["soapaction"] == '""'


def test_check_vat_approx_request_matches_the_captured_request(fake_vies: FakeVies, vies_client: ViesClient) -> None:
    sample = SOAP_SAMPLES / "checkVatApprox-request.xml"
    fake_vies.reply((SOAP_SAMPLES / "checkVatApprox-response-ES-valid-matchcodes-2023-01.xml").read_bytes())
    vies_client.check_vat_approx("LU", "21416127", requester=NormalisedVat("IE", "6388047V"))
    assert _leaves(fake_vies.posts[-1].body) == _leaves(sample.read_bytes())


def test_check_vat_approx_trader_fields_match_the_captured_request(
    fake_vies: FakeVies, vies_client: ViesClient
) -> None:
    sample = SOAP_SAMPLES / "checkVatApprox-request-ES-with-trader-fields.xml"
    fake_vies.reply((SOAP_SAMPLES / "checkVatApprox-response-ES-valid-matchcodes-2023-01.xml").read_bytes())
    result = vies_client.check_vat_approx(
        "ES",
        "B83891812",
        trader_name="Rodrisa Automoviles",
        trader_street="Avda. Reina Victoria",
        trader_postcode="28430",
        trader_city="Madrid",
    )
    assert _leaves(fake_vies.posts[-1].body) == _leaves(sample.read_bytes())
    assert result.match_codes["city"] == "2"
