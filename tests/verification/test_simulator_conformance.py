"""The simulator speaks VIES: a zeep client built from the OFFICIAL WSDL gets every kind of reply, the
simulator's own WSDL builds an equivalent client, and the envelopes have the shape of captured samples."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
import zeep
from lxml import etree
from zeep.exceptions import Fault as ZeepFault

from tests.fixtures.registries import OFFICIAL_WSDL, SOAP_SAMPLES
from verification.simulator import Fault, Registry, SimulatorServer

BINDING = "{urn:ec.europa.eu:taxud:vies:services:checkVat}checkVatBinding"


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    registry = Registry.default()
    # The companies of the captured samples, so replies can be compared with them field for field.
    registry.add("LU26375245", "AMAZON EUROPE CORE S.A R.L.", "38, AVENUE JOHN F. KENNEDY L-1855  LUXEMBOURG")
    registry.add("DE312635404", "Beispiel GmbH", "Musterweg 1\n10115 Berlin", withhold=True)
    registry.add(
        "ESB83891812",
        "RODRISA AUTOMOVILES SL",
        street="AVDA REINA VICTORIA",
        postcode="28430",
        city="ALPEDRETE",
        withhold=True,
    )
    registry.mark_initial()
    with SimulatorServer(registry) as sim:
        yield sim


@pytest.fixture(autouse=True)
def _fresh(simulator: SimulatorServer) -> None:
    simulator.reset()


@pytest.fixture(scope="module")
def official_client() -> zeep.Client:
    return zeep.Client(str(OFFICIAL_WSDL))


@pytest.fixture
def vies(official_client: zeep.Client, simulator: SimulatorServer) -> zeep.proxy.ServiceProxy:
    return official_client.create_service(BINDING, simulator.service_url)


# --- zeep, official WSDL --------------------------------------------------------------------------
def test_valid_with_name_and_address(vies: zeep.proxy.ServiceProxy) -> None:
    reply = vies.checkVat(countryCode="LU", vatNumber="80790754")
    assert reply.valid is True
    assert reply.countryCode == "LU" and reply.vatNumber == "80790754"
    assert reply.name == "MOSELLE FUND SERVICES S.A R.L."
    assert reply.address == "12, RUE EUGENE RUPPERT L-2453  LUXEMBOURG"
    assert reply.requestDate is not None


@pytest.mark.parametrize("country,number", [("DE", "175782214"), ("ES", "B29498003")])
def test_valid_but_withheld(vies: zeep.proxy.ServiceProxy, country: str, number: str) -> None:
    reply = vies.checkVat(countryCode=country, vatNumber=number)
    assert reply.valid is True
    assert (reply.name, reply.address) == ("---", "---")


@pytest.mark.parametrize("country,number", [("IT", "65953720599"), ("FR", "12345678901"), ("EL", "856753399")])
def test_invalid_and_unknown_numbers(vies: zeep.proxy.ServiceProxy, country: str, number: str) -> None:
    reply = vies.checkVat(countryCode=country, vatNumber=number)
    assert reply.valid is False
    assert not reply.vatNumber  # the current service sends an empty vatNumber for invalid numbers
    assert not reply.name and not reply.address


def test_greece_is_el_and_northern_ireland_is_served(vies: zeep.proxy.ServiceProxy) -> None:
    assert vies.checkVat(countryCode="EL", vatNumber="095028842").name.startswith("ΑΙΓΑΙΟΝ")
    assert vies.checkVat(countryCode="XI", vatNumber="930571577").valid is True
    with pytest.raises(ZeepFault, match=r"^INVALID_INPUT$"):
        vies.checkVat(countryCode="GR", vatNumber="095028842")


def test_approx_with_requester_gets_consultation_number_and_match_codes(vies: zeep.proxy.ServiceProxy) -> None:
    reply = vies.checkVatApprox(
        countryCode="NL",
        vatNumber="611313893B01",
        traderName="tulpenveld handelsmaatschappij",
        traderStreet="Keizersgracht 221",
        traderPostcode="1016 DV",
        traderCity="Utrecht",
        requesterCountryCode="DE",
        requesterVatNumber="175782214",
    )
    assert reply.valid is True
    assert reply.traderName == "Tulpenveld Handelsmaatschappij B.V."
    assert re.fullmatch(r"WAPIAAAA[A-Za-z]{8}", reply.requestIdentifier)
    codes = (
        reply.traderNameMatch,
        reply.traderCompanyTypeMatch,
        reply.traderStreetMatch,
        reply.traderPostcodeMatch,
        reply.traderCityMatch,
    )
    assert codes == ("1", "3", "1", "1", "2")
    again = vies.checkVatApprox(
        countryCode="NL", vatNumber="611313893B01", requesterCountryCode="DE", requesterVatNumber="175782214"
    )
    assert again.requestIdentifier != reply.requestIdentifier
    assert again.traderNameMatch is None  # no trader fields sent: no match codes


def test_approx_without_requester_or_for_invalid_number_has_no_consultation_number(
    vies: zeep.proxy.ServiceProxy,
) -> None:
    assert not vies.checkVatApprox(countryCode="NL", vatNumber="611313893B01").requestIdentifier
    invalid = vies.checkVatApprox(
        countryCode="IT", vatNumber="65953720599", requesterCountryCode="DE", requesterVatNumber="175782214"
    )
    assert invalid.valid is False and not invalid.requestIdentifier


def test_approx_with_invalid_requester_faults(vies: zeep.proxy.ServiceProxy) -> None:
    with pytest.raises(ZeepFault, match=r"^INVALID_REQUESTER_INFO$"):
        vies.checkVatApprox(
            countryCode="NL", vatNumber="611313893B01", requesterCountryCode="DE", requesterVatNumber="561509372"
        )
    with pytest.raises(ZeepFault, match=r"^INVALID_REQUESTER_INFO$"):
        vies.checkVatApprox(countryCode="NL", vatNumber="611313893B01", requesterCountryCode="UK")


SOAP_FAULTS = [fault for fault in Fault if fault.is_soap]


@pytest.mark.parametrize("fault", SOAP_FAULTS, ids=[fault.value for fault in SOAP_FAULTS])
def test_each_fault_code_raises_zeep_fault(
    vies: zeep.proxy.ServiceProxy, simulator: SimulatorServer, fault: Fault
) -> None:
    simulator.set_fault("SI17355915", fault)
    with pytest.raises(ZeepFault) as info:
        vies.checkVat(countryCode="SI", vatNumber="17355915")
    assert info.value.message == fault.value
    assert info.value.code == "env:Server"


@pytest.mark.parametrize(
    "number,expected",
    [("100", "valid"), ("200", "invalid"), ("301", "MS_UNAVAILABLE"), ("601", "MS_MAX_CONCURRENT_REQ_TIME")],
)
def test_test_service_numbers(vies: zeep.proxy.ServiceProxy, number: str, expected: str) -> None:
    if expected in ("valid", "invalid"):
        assert vies.checkVat(countryCode="BE", vatNumber=number).valid is (expected == "valid")
    else:
        with pytest.raises(ZeepFault, match=rf"^{expected}$"):
            vies.checkVat(countryCode="BE", vatNumber=number)


def test_own_wsdl_builds_an_equivalent_client(simulator: SimulatorServer) -> None:
    client = zeep.Client(simulator.wsdl_url)  # soap:address rendered with the request's host and port
    assert client.service._binding_options["address"] == simulator.service_url
    binding = client.wsdl.bindings[BINDING]
    assert set(binding._operations) == {"checkVat", "checkVatApprox"}
    assert client.service.checkVat(countryCode="DE", vatNumber="175782214").valid is True
    with pytest.raises(ZeepFault, match=r"^TIMEOUT$"):
        client.service.checkVat(countryCode="FR", vatNumber="302")
    reply = client.service.checkVatApprox(
        countryCode="PT", vatNumber="599984678", requesterCountryCode="XI", requesterVatNumber="930571577"
    )
    assert reply.requestIdentifier.startswith("WAPIAAAA")


def test_own_wsdl_declares_what_the_official_one_does(simulator: SimulatorServer) -> None:
    ours = zeep.Client(simulator.wsdl_url).wsdl
    theirs = zeep.Client(str(OFFICIAL_WSDL)).wsdl
    assert set(ours.bindings) == set(theirs.bindings) == {BINDING}
    assert set(ours.port_types) == set(theirs.port_types)
    assert set(ours.messages) == set(theirs.messages)
    assert set(ours.bindings[BINDING]._operations) == set(theirs.bindings[BINDING]._operations)
    for name in ("checkVat", "checkVatResponse", "checkVatApprox", "checkVatApproxResponse"):
        qname = f"{{urn:ec.europa.eu:taxud:vies:services:checkVat:types}}{name}"
        assert ours.types.get_element(qname).signature() == theirs.types.get_element(qname).signature()


# --- wire shape against captured samples ----------------------------------------------------------
def _shape(xml: bytes) -> list[tuple[str, str]]:
    """(prefix:localname, text) in document order; requestDate reduced to its format."""
    shape = []
    for element in etree.fromstring(xml).iter(etree.Element):
        name = f"{element.prefix}:{etree.QName(element).localname}" if element.prefix else element.tag
        text = (element.text or "").strip()
        if name.endswith(":requestDate"):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\+0[12]:00", text), text
            text = "<date>"
        shape.append((name, text))
    return shape


def _post(simulator: SimulatorServer, body: bytes) -> requests.Response:
    headers = {"Content-Type": "text/xml;charset=UTF-8", "SOAPAction": '""'}
    return requests.post(simulator.service_url, data=body, headers=headers, timeout=5)


def _envelope(operation: str, **fields: str) -> bytes:
    inner = "".join(f"<urn:{key}>{value}</urn:{key}>" for key, value in fields.items())
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:ec.europa.eu:taxud:vies:services:checkVat:types"><soapenv:Header/><soapenv:Body>'
        f"<urn:{operation}>{inner}</urn:{operation}></soapenv:Body></soapenv:Envelope>"
    ).encode()


CASES = [
    ("checkVat-response-valid-LU-2022-09.xml", _envelope("checkVat", countryCode="LU", vatNumber="26375245")),
    (
        "checkVat-response-valid-DE-name-address-dashes-2022-08.xml",
        _envelope("checkVat", countryCode="DE", vatNumber="312635404"),
    ),
    (
        "checkVat-response-invalid-CZ-emptyfields-2022-09.xml",
        _envelope("checkVat", countryCode="CZ", vatNumber="12345678"),
    ),
    ("checkVat-response-invalid-DK-2022-08.xml", _envelope("checkVat", countryCode="DK", vatNumber="12345678")),
    (
        "checkVatApprox-response-IT-invalid-2024-02.xml",
        _envelope("checkVatApprox", countryCode="IT", vatNumber="01739710307"),
    ),
    ("checkVatApprox-response-ES-valid-matchcodes-2023-01.xml", "checkVatApprox-request-ES-with-trader-fields.xml"),
    ("fault-INVALID_INPUT.xml", _envelope("checkVat", countryCode="GB", vatNumber="123456789")),
]


@pytest.mark.parametrize("sample,request_body", CASES, ids=[case[0] for case in CASES])
def test_reply_has_the_shape_of_the_captured_sample(
    simulator: SimulatorServer, sample: str, request_body: bytes | str
) -> None:
    body = (SOAP_SAMPLES / request_body).read_bytes() if isinstance(request_body, str) else request_body
    response = _post(simulator, body)
    assert response.headers["Content-Type"] == "text/xml;charset=UTF-8"
    assert response.status_code == (500 if sample.startswith("fault") else 200)
    assert not response.content.startswith(b"<?xml")
    assert _shape(response.content) == _shape((SOAP_SAMPLES / sample).read_bytes())


def test_fault_is_byte_identical_to_the_capture(simulator: SimulatorServer) -> None:
    response = _post(simulator, _envelope("checkVat", countryCode="de", vatNumber="175782214"))
    assert response.content == (SOAP_SAMPLES / "fault-INVALID_INPUT.xml").read_bytes().strip()
