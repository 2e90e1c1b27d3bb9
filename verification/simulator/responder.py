"""What the simulated VIES answers to one parsed checkVat/checkVatApprox request.

Order of evaluation, as the real service behaves from the outside:
1. input validation: countryCode must be a VIES member state code ([A-Z]{2}; GB, GR or lower case are
   INVALID_INPUT), vatNumber must match [0-9A-Za-z+*.]{2,12} once whitespace is removed;
2. requester (checkVatApprox): both fields empty = no requester; one missing, malformed, or a number the
   registry knows as invalid = INVALID_REQUESTER_INFO. A well-formed requester the registry does not know
   is accepted, so a demo user's own company needs no fixture entry;
3. the VIES test-service numbers (100, 200, 201, ...; see faults.py) for every member state;
4. fault rules of the number, then of its member state (fixture or control API), then the random fault;
5. the registry as of now. Unknown numbers are invalid.

Shapes follow the captured samples: an invalid checkVat has an empty vatNumber and empty name/address
(``---`` for DK, as in the 2022 DK capture); a valid number of a withholding state (DE, ES) has ``---``.
checkVatApprox echoes the number, returns the trader fields (for a withholding state: the values sent,
which is what the ES capture shows), match codes when any trader field was sent, and a consultation
number (requestIdentifier) only for a valid number checked with a valid requester.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .faults import TEST_SERVICE_NUMBERS, Fault, FaultInjector
from .registry import MEMBER_STATES, CompanyState, Registry
from .soap import (
    CONTENT_TYPE,
    CheckRequest,
    ConsultationNumbers,
    check_vat_approx_response,
    check_vat_response,
    fault_envelope,
    match_code,
    request_date,
)

WITHHELD = "---"
_NUMBER = re.compile(r"[0-9A-Za-z+*.]{2,12}")
#: Member states whose invalid answers carry "---" rather than empty name/address (2022-08 DK capture).
_INVALID_DASHES = frozenset({"DK"})

HTML_503_PAGE = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
    b"<title>503 Service Unavailable</title>\n</head><body>\n<h1>Service Unavailable</h1>\n"
    b"<p>The server is temporarily unable to service your request due to maintenance downtime or "
    b"capacity problems. Please try again later.</p>\n</body></html>\n"
)
#: A 200 answer cut off mid-element: "a body that is not the expected XML".
BAD_XML_BODY = (
    b'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header/><env:Body>'
    b'<ns2:checkVatResponse xmlns:ns2="urn:ec.europa.eu:taxud:vies:services:checkVat:types"><ns2:countr'
)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    #: "valid", "invalid" or the fault code: what the stats and the request log count.
    outcome: str
    content_type: str = CONTENT_TYPE
    #: Hold the request for the injector's hang time before sending (Fault.HANG).
    hang: bool = False


def fault_reply(fault: Fault) -> Reply:
    if fault is Fault.HTML_503:
        return Reply(503, HTML_503_PAGE, fault.value, "text/html; charset=iso-8859-1")
    if fault is Fault.BAD_XML:
        return Reply(200, BAD_XML_BODY, fault.value)
    if fault is Fault.HANG:
        return Reply(500, fault_envelope(Fault.TIMEOUT.value), fault.value, hang=True)
    return Reply(500, fault_envelope(fault.value), fault.value)


class _Refused(Exception):
    def __init__(self, fault: Fault) -> None:
        self.fault = fault


class Responder:
    def __init__(self, registry: Registry, faults: FaultInjector, consultation: ConsultationNumbers) -> None:
        self.registry = registry
        self.faults = faults
        self.consultation = consultation

    def answer(self, request: CheckRequest, *, test_service: bool = False, now: datetime | None = None) -> Reply:
        """The reply to one request; `test_service` answers like checkVatTestService (table or
        SERVICE_UNAVAILABLE) and ignores the registry."""
        now = now or datetime.now(UTC)
        try:
            country, number = self._validated_input(request)
            requester_ok = self._requester_ok(request, now)
            state = self._state(country, number, test_service=test_service, now=now)
        except _Refused as refused:
            return fault_reply(refused.fault)
        valid = state is not None and state.valid
        outcome = "valid" if valid else "invalid"
        date = request_date(now)
        if request.operation == "checkVat":
            return Reply(200, self._check_vat(country, number, date, state), outcome)
        return Reply(200, self._check_vat_approx(request, country, number, date, state, requester_ok), outcome)

    # --- steps -------------------------------------------------------------------------------------
    @staticmethod
    def _validated_input(request: CheckRequest) -> tuple[str, str]:
        country = request.country_code
        number = re.sub(r"\s", "", request.vat_number)
        if country not in MEMBER_STATES or not _NUMBER.fullmatch(number):
            raise _Refused(Fault.INVALID_INPUT)
        return country, number

    def _requester_ok(self, request: CheckRequest, now: datetime) -> bool:
        if request.operation != "checkVatApprox":
            return False
        country = request.requester_country
        number = re.sub(r"\s", "", request.requester_number)
        if not country and not number:
            return False
        if country not in MEMBER_STATES or not _NUMBER.fullmatch(number):
            raise _Refused(Fault.INVALID_REQUESTER_INFO)
        known = self.registry.lookup(country + number, now)
        if known is not None and not known.valid:
            raise _Refused(Fault.INVALID_REQUESTER_INFO)
        return True

    def _state(self, country: str, number: str, *, test_service: bool, now: datetime) -> CompanyState | None:
        table = TEST_SERVICE_NUMBERS.get(number)
        if test_service and table is None:
            raise _Refused(Fault.SERVICE_UNAVAILABLE)
        if isinstance(table, Fault):
            raise _Refused(table)
        fault = None if test_service else self.registry.take_fault(country, number)
        fault = fault or self.faults.random_fault()
        if fault is not None:
            raise _Refused(fault)
        if table == "valid":
            return CompanyState(country, number, True, "John Doe", "123 Main St, Anytown, UK")
        if table == "invalid":
            return CompanyState(country, number, False, WITHHELD, WITHHELD)
        if test_service:
            return None
        return self.registry.lookup(country + number, now)

    # --- bodies ------------------------------------------------------------------------------------
    @staticmethod
    def _check_vat(country: str, number: str, date: str, state: CompanyState | None) -> bytes:
        if state is None or not state.valid:
            placeholder = WITHHELD if country in _INVALID_DASHES else ""
            if state is not None and state.name == WITHHELD:  # test-service 200
                placeholder = WITHHELD
            return check_vat_response(
                country_code=country,
                vat_number="",
                request_date=date,
                valid=False,
                name=placeholder,
                address=placeholder,
            )
        return check_vat_response(
            country_code=country,
            vat_number=number,
            request_date=date,
            valid=True,
            name=WITHHELD if state.withhold else state.name,
            address=WITHHELD if state.withhold else state.address,
        )

    def _check_vat_approx(
        self,
        request: CheckRequest,
        country: str,
        number: str,
        date: str,
        state: CompanyState | None,
        requester_ok: bool,
    ) -> bytes:
        if state is None or not state.valid:
            return check_vat_approx_response(
                country_code=country,
                vat_number=number,
                request_date=date,
                valid=False,
                trader=[("traderName", ""), ("traderCompanyType", WITHHELD), ("traderAddress", "")],
                request_identifier="",
            )
        sent = request.trader
        trader: list[tuple[str, str]]
        if state.withhold:
            # The member state compares but does not disclose: the sent values come back (ES capture).
            trader = [
                ("traderName", sent.get("traderName", WITHHELD)),
                ("traderCompanyType", sent.get("traderCompanyType", WITHHELD)),
            ]
            if not sent:
                trader.append(("traderAddress", WITHHELD))
            trader += [(key, sent[key]) for key in ("traderStreet", "traderPostcode", "traderCity") if key in sent]
        else:
            trader = [
                ("traderName", state.name),
                ("traderCompanyType", state.company_type or WITHHELD),
                ("traderAddress", state.address),
            ]
            if sent:
                known = {"traderStreet": state.street, "traderPostcode": state.postcode, "traderCity": state.city}
                trader += [(key, value) for key, value in known.items() if value]
        if sent:
            trader += [
                ("traderNameMatch", match_code(sent.get("traderName"), state.name, name=True)),
                ("traderCompanyTypeMatch", match_code(sent.get("traderCompanyType"), state.company_type)),
                ("traderStreetMatch", match_code(sent.get("traderStreet"), state.street)),
                ("traderPostcodeMatch", match_code(sent.get("traderPostcode"), state.postcode)),
                ("traderCityMatch", match_code(sent.get("traderCity"), state.city)),
            ]
        return check_vat_approx_response(
            country_code=country,
            vat_number=number,
            request_date=date,
            valid=True,
            trader=trader,
            request_identifier=self.consultation.next() if requester_ok else "",
        )
