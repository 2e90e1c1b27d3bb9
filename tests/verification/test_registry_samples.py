"""The clients against the published contracts and captured wire samples of HMRC, the UID register and
Brønnøysund: every sample gets the verdict it should, and a sample without an expected verdict fails.

HMRC and Brønnøysund bodies go through the clients' parsers; the UID envelopes are served by a loopback
fake to the real zeep client, which reads them against the WSDL kept in the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from tests.fixtures.registries import (
    BRREG_SAMPLES,
    BRREG_SPEC,
    HMRC_SAMPLES,
    HMRC_SPEC,
    UID_SAMPLES,
    UID_WSDL,
)
from tests.verification.fakes import FakeVies
from verification import brreg, hmrc, uid
from verification.verdicts import Status


def _response(path: Path, status: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = path.read_bytes()
    return response


# file -> (HTTP status it arrives with, with a requester?, status, error code)
HMRC_EXPECTED = {
    "lookup-200.json": (200, False, Status.VALID, ""),
    "lookup-with-requester-200.json": (200, True, Status.VALID, ""),
    "lookup-404-NOT_FOUND.json": (404, False, Status.INVALID, "NOT_FOUND"),
    "lookup-400-INVALID_REQUEST.json": (400, False, Status.INVALID, "INVALID_REQUEST"),
    "lookup-with-requester-403-INVALID_REQUEST.json": (403, True, Status.UNVERIFIED, "INVALID_REQUESTER"),
    "lookup-500.json": (500, False, Status.UNVERIFIED, "HTTP_500"),
    # The v1 path after its removal: a 404 about the API, not about the number.
    "v1-path-after-removal-2025-02-17.json": (404, False, Status.UNVERIFIED, "HTTP_404"),
}
HMRC_TOKEN_SAMPLES = {"oauth-token-200.json", "oauth-token-401.json"}

BRREG_EXPECTED = {
    "enhet-200-vat-registered.json": ("932740265", Status.VALID, ""),
    "enhet-200-not-vat-registered-2022-08.json": ("929616359", Status.INVALID, "NOT_VAT_REGISTERED"),
    "enhet-200-deleted-2022-08.json": ("995420678", Status.INVALID, "DELETED"),
}

# file -> (HTTP status, the verdict of ValidateVatNumber alone or the organisation GetByUID returns)
UID_VALIDATE_EXPECTED = {
    "ValidateVatNumber-response-true.xml": (200, Status.VALID, ""),
    "ValidateVatNumber-response-true-2026-07.xml": (200, Status.VALID, ""),
    "ValidateVatNumber-response-false.xml": (200, Status.INVALID, "NOT_VAT_REGISTERED"),
    "ValidateVatNumber-response-unexpected-value.xml": (200, Status.UNVERIFIED, "MALFORMED_RESPONSE"),
    "fault-Request_limit_exceeded.xml": (500, Status.UNVERIFIED, "RATE_LIMITED"),
}
UID_ORGANISATION_EXPECTED = {
    "GetByUID-response-2026-07.xml": ("Boulangerie Aubry", "p.a. Famille Aubry\nRue Pierre Péquignat 8\n2800 Delémont"),
    "GetByUID-response-empty-2026-07.xml": None,
}


def test_every_sample_has_an_expected_verdict() -> None:
    assert {p.name for p in HMRC_SAMPLES.iterdir()} == set(HMRC_EXPECTED) | HMRC_TOKEN_SAMPLES
    assert {p.name for p in BRREG_SAMPLES.iterdir()} == set(BRREG_EXPECTED)
    assert {p.name for p in UID_SAMPLES.iterdir()} == set(UID_VALIDATE_EXPECTED) | set(UID_ORGANISATION_EXPECTED)


@pytest.mark.parametrize("name", sorted(HMRC_EXPECTED))
def test_hmrc_samples(name: str) -> None:
    status, with_requester, verdict, code = HMRC_EXPECTED[name]
    result = hmrc._parse(
        _response(HMRC_SAMPLES / name, status), "553557881", "GET ...", 5, with_requester=with_requester
    )
    assert (result.status, result.error_code) == (verdict, code)
    assert result.raw_response == (HMRC_SAMPLES / name).read_text()
    if verdict == Status.VALID:
        assert result.name == "Credite Sberger Donal Inc."
        assert result.address == "131B Barton Hamlet\nSW97 5CK"
        assert result.request_date.isoformat() == "2019-01-31"
        assert result.consultation_number == ("ypAeKRPlW" if with_requester else "")


def test_hmrc_answer_for_another_number_is_not_believed() -> None:
    result = hmrc._parse(
        _response(HMRC_SAMPLES / "lookup-200.json", 200), "980780684", "GET ...", 5, with_requester=False
    )
    assert (result.status, result.error_code) == (Status.UNVERIFIED, "MALFORMED_RESPONSE")


def test_hmrc_spec_paths_and_accept_header_are_the_clients() -> None:
    spec = HMRC_SPEC.read_text()
    assert "  /organisations/vat/check-vat-number/lookup/{targetVrn}:\n" in spec
    assert "  /organisations/vat/check-vat-number/lookup/{targetVrn}/{requesterVrn}:\n" in spec
    assert f'"{hmrc.ACCEPT}",' in spec
    assert f"tokenUrl: {hmrc.LIVE_API_URL}/oauth/token" in spec and f"{hmrc.SCOPE}: Grant read access" in spec


@pytest.mark.parametrize("name", sorted(BRREG_EXPECTED))
def test_brreg_samples(name: str) -> None:
    orgnr, verdict, code = BRREG_EXPECTED[name]
    result = brreg._parse(_response(BRREG_SAMPLES / name, 200), orgnr, "GET ...", 5)
    assert (result.status, result.error_code) == (verdict, code)
    if verdict == Status.VALID:
        assert (result.name, result.address) == ("AJ SCHOUTEN AS", "Oscars gate 19\n0352 OSLO")
    else:
        assert (result.name, result.address) == (None, None), "a withdrawn entity's name is history"


def test_brreg_spec_describes_the_endpoint_and_fields_the_client_reads() -> None:
    spec = BRREG_SPEC.read_text()
    path = spec[spec.index("  /enheter/{organisasjonsnummer}:") : spec.index("  /underenheter:")]
    assert all(f"'{status}':" in path for status in (200, 404, 410))
    enhet = spec[spec.index("    Enhet:") : spec.index("    Naeringskode:")]
    for field in ("organisasjonsnummer", "navn", "registrertIMvaregisteret", "konkurs", "underAvvikling"):
        assert f"        {field}:" in enhet


def test_the_kept_uid_wsdl_is_the_one_the_client_loads() -> None:
    assert UID_WSDL.read_bytes() == uid.WSDL_FILE.read_bytes()


@pytest.fixture
def fake_uid() -> FakeVies:
    fake = FakeVies().start()
    yield fake
    fake.stop()


def _uid_client(fake: FakeVies) -> uid.UidClient:
    uid.clear_cache()
    timeouts = uid.registry_http.Timeouts(connect=1.0, read=2.0)
    return uid.UidClient(uid.UidConfig(service_url=fake.service_url, timeouts=timeouts))


@pytest.mark.parametrize("name", sorted(UID_VALIDATE_EXPECTED))
def test_uid_validate_samples_through_zeep(fake_uid: FakeVies, name: str) -> None:
    status, verdict, code = UID_VALIDATE_EXPECTED[name]
    fake_uid.reply_once((UID_SAMPLES / name).read_bytes(), status=status)
    fake_uid.reply((UID_SAMPLES / "GetByUID-response-2026-07.xml").read_bytes())
    result = _uid_client(fake_uid).check("107185562")
    assert (result.status, result.error_code) == (verdict, code)
    first = fake_uid.posts[0]
    assert first.headers.get("SOAPAction", "").strip('"') == (
        "http://www.uid.admin.ch/xmlns/uid-wse/IPublicServices/ValidateVatNumber"
    )
    assert b"<ns0:vatNumber>CHE-107.185.562 MWST</ns0:vatNumber>" in first.body
    assert (UID_SAMPLES / name).read_text() in result.raw_response
    if verdict == Status.VALID:
        assert len(fake_uid.posts) == 2, "a valid number's name and address come from GetByUID"
        assert re.search(rb"uidOrganisationId[^>]*>107185562<", fake_uid.posts[1].body)
        assert result.name == "Boulangerie Aubry"
    else:
        assert len(fake_uid.posts) == 1


@pytest.mark.parametrize("name", sorted(UID_ORGANISATION_EXPECTED))
def test_uid_organisation_samples(name: str) -> None:
    assert uid.parse_organisation((UID_SAMPLES / name).read_bytes()) == UID_ORGANISATION_EXPECTED[name]


def test_uid_valid_without_details_keeps_its_verdict(fake_uid: FakeVies) -> None:
    fake_uid.reply_once((UID_SAMPLES / "ValidateVatNumber-response-true.xml").read_bytes())
    fake_uid.reply((UID_SAMPLES / "GetByUID-response-empty-2026-07.xml").read_bytes())
    result = _uid_client(fake_uid).check("107185562")
    assert (result.status, result.name, result.address) == (Status.VALID, None, None)
    assert "could not be fetched" in result.warnings[0]
