"""verify_vat end to end against the loopback fake VIES: format, registry, limit, overall status, score."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from tests.fixtures.registries import OFFICIAL_WSDL
from tests.verification.fakes import FakeVies, approx_response, check_vat_response, fault
from verification import ratelimit, vies
from verification.ratelimit import LocalSlotLimiter
from verification.service import verify_vat
from verification.verdicts import Requester, Status

COMPANY = Requester(vat_number="IE 6388047V", name="Our Company Ltd")


@pytest.fixture(autouse=True)
def vies_settings(settings, fake_vies: FakeVies) -> Iterator[None]:
    settings.VIES_WSDL_URL = str(OFFICIAL_WSDL.resolve())
    settings.VIES_SERVICE_URL = fake_vies.service_url
    settings.VIES_CONNECT_TIMEOUT = 1.0
    settings.VIES_READ_TIMEOUT = 2.0
    settings.REDIS_URL = ""
    settings.REGISTRY_MAX_IN_FLIGHT_PER_STATE = 2
    settings.REGISTRY_SLOT_WAIT = 0.2
    ratelimit.reset_limiter()
    yield
    ratelimit.reset_limiter()


def test_valid_with_requester_gets_a_consultation_number(fake_vies: FakeVies) -> None:
    fake_vies.reply(
        approx_response("DE", "136695976", True, name="ACME GMBH", address="HAUPTSTR. 1\n10115 BERLIN", name_match="1")
    )
    verdict = verify_vat("de 136.695.976", requester=COMPANY, trader_name="Acme GmbH", trader_address="Hauptstr. 1")

    assert verdict.overall_status == Status.VALID
    assert verdict.vat is not None and verdict.vat.vat_number == "DE136695976"
    assert verdict.consultation_number == "WAPIAAAAZ1Test01"
    assert [r.service for r in verdict.results] == ["format", "vies"]
    assert verdict.registry_result.name == "ACME GMBH"
    assert verdict.confidence_score == 100
    body = fake_vies.posts[0].body.decode()
    assert "checkVatApprox" in body and "requesterVatNumber>6388047V<" in body and "traderName>Acme GmbH<" in body


def test_without_requester_plain_check_vat(fake_vies: FakeVies) -> None:
    fake_vies.reply(check_vat_response("FR", "40303265045", True, name="SA ODIGEO", address="1 RUE X 75001 PARIS"))
    verdict = verify_vat("FR 40 303 265 045", trader_name="Odigeo")
    assert verdict.overall_status == Status.VALID
    assert b"checkVatApprox" not in fake_vies.posts[0].body
    assert verdict.consultation_number == ""
    # 60 valid + 10 checksum + 15 name agrees + 2 address unknown, no consultation number
    assert verdict.confidence_score == 87


def test_format_refusal_makes_no_registry_call(fake_vies: FakeVies) -> None:
    verdict = verify_vat("DE 1366959")
    assert verdict.overall_status == Status.INVALID
    assert verdict.vat is None
    assert [(r.service, r.status, r.error_code) for r in verdict.results] == [
        ("format", Status.INVALID, "INVALID_LENGTH")
    ]
    assert verdict.confidence_score == 95
    assert fake_vies.posts == []


def test_gb_number_goes_to_hmrc_never_to_vies(settings, fake_vies: FakeVies) -> None:
    settings.HMRC_CLIENT_ID = ""
    verdict = verify_vat("GB980780684")
    registry = verdict.registry_result
    assert (registry.service, registry.status, registry.error_code) == (
        "hmrc",
        Status.UNVERIFIED,
        "REGISTRY_NOT_CONFIGURED",
    )
    assert verdict.overall_status == Status.UNVERIFIED, "not configured is never invalid"
    assert fake_vies.posts == []


def test_checksum_only_failure_still_asks_the_registry(fake_vies: FakeVies) -> None:
    fake_vies.reply(check_vat_response("DE", "136695978", True))
    verdict = verify_vat("DE136695978")
    fmt = verdict.result("format")
    assert (fmt.status, fmt.error_code) == (Status.INVALID, "CHECKSUM"), "a failed check digit is a failure"
    assert fmt.warnings
    assert verdict.overall_status == Status.VALID, "the registry decides"
    assert len(fake_vies.posts) == 1
    assert verdict.confidence_score == 60 + 5 + 2  # no checksum points; name and address not disclosed


def test_registry_invalid(fake_vies: FakeVies) -> None:
    fake_vies.reply(check_vat_response("DE", "136695976", False))
    verdict = verify_vat("DE136695976")
    assert verdict.overall_status == Status.INVALID
    assert verdict.confidence_score == 85


def test_invalid_input_fault_is_invalid(fake_vies: FakeVies) -> None:
    fake_vies.reply(fault("INVALID_INPUT"), status=500)
    assert verify_vat("DE136695976").overall_status == Status.INVALID


@pytest.mark.parametrize("code", ["MS_UNAVAILABLE", "SERVICE_UNAVAILABLE", "TIMEOUT", "GLOBAL_MAX_CONCURRENT_REQ"])
def test_registry_outage_is_unverified_with_a_low_score(code: str, fake_vies: FakeVies) -> None:
    fake_vies.reply(fault(code), status=500)
    verdict = verify_vat("DE136695976")
    assert verdict.overall_status == Status.UNVERIFIED
    assert verdict.registry_result.error_code == code
    assert verdict.confidence_score == 20


def test_html_outage_page_is_unverified(fake_vies: FakeVies) -> None:
    fake_vies.reply("<html><body>Service Unavailable</body></html>", status=503, content_type="text/html")
    verdict = verify_vat("DE136695976")
    assert (verdict.overall_status, verdict.registry_result.error_code) == (Status.UNVERIFIED, "HTTP_503")


def test_no_free_slot_means_no_call_and_rate_limited(fake_vies: FakeVies) -> None:
    ratelimit.reset_limiter(LocalSlotLimiter(1))
    with ratelimit.registry_slot("vies", "DE"):
        verdict = verify_vat("DE136695976")
    assert verdict.overall_status == Status.UNVERIFIED
    assert verdict.registry_result.error_code == "RATE_LIMITED"
    assert fake_vies.posts == []


def test_ms_max_concurrent_req_cools_the_state_down_for_everyone(fake_vies: FakeVies) -> None:
    fake_vies.reply(fault("MS_MAX_CONCURRENT_REQ"), status=500)
    assert verify_vat("DE136695976").registry_result.error_code == "MS_MAX_CONCURRENT_REQ"
    fake_vies.reply(check_vat_response("DE", "136695976", True))
    again = verify_vat("DE136695976")
    assert again.registry_result.error_code == "RATE_LIMITED"
    assert len(fake_vies.posts) == 1, "the cooling state is not asked again"
    fake_vies.reply(check_vat_response("FR", "40303265045", True))
    assert verify_vat("FR40303265045").overall_status == Status.VALID, "other states are not affected"


def test_unexpected_exception_is_error_and_logged(
    fake_vies: FakeVies, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug in our code")

    monkeypatch.setattr(vies.ViesClient, "check_vat", broken)
    with caplog.at_level(logging.ERROR, logger="verification.service"):
        verdict = verify_vat("DE136695976")
    assert verdict.overall_status == Status.ERROR
    assert verdict.confidence_score == 0
    assert verdict.results[-1].error_code == "INTERNAL_ERROR"
    assert verdict.vat is not None and verdict.vat.vat_number == "DE136695976"
    assert "bug in our code" in caplog.text


def test_requester_rejected_by_vies_falls_back(fake_vies: FakeVies) -> None:
    fake_vies.reply_once(fault("INVALID_REQUESTER_INFO"), status=500)
    fake_vies.reply_once(check_vat_response("DE", "136695976", True))
    verdict = verify_vat("DE136695976", requester=COMPANY)
    assert verdict.overall_status == Status.VALID
    assert verdict.registry_result.requester_rejected is True
    assert verdict.consultation_number == ""


def test_requester_that_is_not_a_vat_number_is_not_sent(fake_vies: FakeVies) -> None:
    fake_vies.reply(check_vat_response("DE", "136695976", True))
    verdict = verify_vat("DE136695976", requester=Requester(vat_number="US980780684"))
    registry = verdict.registry_result
    assert registry.requester_rejected is True
    assert "US980780684" in registry.warnings[0]
    assert b"checkVatApprox" not in fake_vies.posts[0].body


def test_a_uk_requester_is_not_sent_to_vies_and_not_called_wrong(fake_vies: FakeVies) -> None:
    fake_vies.reply(check_vat_response("DE", "136695976", True))
    verdict = verify_vat("DE136695976", requester=Requester(vat_number="GB980780684"))
    registry = verdict.registry_result
    assert registry.requester_rejected is False, "a UK company's number is right, VIES just does not take it"
    assert "EU and XI requesters" in registry.warnings[0]
    assert b"checkVatApprox" not in fake_vies.posts[0].body


def test_name_mismatch_lowers_confidence(fake_vies: FakeVies) -> None:
    fake_vies.reply(check_vat_response("LU", "26375245", True, name="AMAZON EUROPE CORE S.A R.L."))
    matching = verify_vat("LU26375245", trader_name="Amazon Europe Core SARL").confidence_score
    other = verify_vat("LU26375245", trader_name="Totally Different Trading").confidence_score
    assert matching > other >= 60


def test_verdict_to_dict_is_json(fake_vies: FakeVies) -> None:
    fake_vies.reply(approx_response("DE", "136695976", True, name_match="1"))
    data = json.loads(json.dumps(verify_vat("DE136695976", requester=COMPANY).to_dict()))
    assert data["overall_status"] == "valid"
    assert data["vat"]["vat_number"] == "DE136695976"
    assert data["results"][1]["request_date"] == "2026-01-15"
    assert data["results"][1]["match_codes"] == {"name": "1"}
    assert "checkVatApprox" in data["results"][1]["raw_request"]


def test_config_reads_settings_and_tolerates_their_absence(settings) -> None:
    settings.VIES_SERVICE_URL = "http://127.0.0.1:9/service"
    config = vies.ViesConfig.from_settings()
    assert (config.service_url, config.connect_timeout, config.read_timeout) == ("http://127.0.0.1:9/service", 1, 2)
    for name in ("VIES_WSDL_URL", "VIES_SERVICE_URL", "VIES_CONNECT_TIMEOUT", "VIES_READ_TIMEOUT"):
        delattr(settings, name)
    assert vies.ViesConfig.from_settings() == vies.ViesConfig()
    assert vies.ViesConfig().wsdl_url == vies.OFFICIAL_WSDL_URL
