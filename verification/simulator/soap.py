"""SOAP 1.1 wire format of the VIES checkVat service: request parsing and response envelopes.

Responses are written as text, not through an XML library, because their exact shape is the point: the
current VIES backend (since 2022-08) answers with an ``env:`` envelope prefix, an empty ``env:Header``, a
``ns2:`` payload prefix, no XML declaration, and ``<ns2:x></ns2:x>`` for empty values
(the captured samples in tests/fixtures/registries/vies/soap/). Clients that only ever saw the old ``soap:``/default
namespace shape break on it; the simulator makes sure ours does not.
"""

from __future__ import annotations

import string
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from xml.sax.saxutils import escape

from lxml import etree

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
TYPES_NS = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"
CONTENT_TYPE = "text/xml;charset=UTF-8"
OPERATIONS = ("checkVat", "checkVatApprox")
TRADER_FIELDS = ("traderName", "traderCompanyType", "traderStreet", "traderPostcode", "traderCity")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


class SoapClientError(Exception):
    """The request is not a checkVat/checkVatApprox SOAP 1.1 message: answered with an env:Client fault."""

    def __init__(self, faultstring: str, faultcode: str = "env:Client") -> None:
        super().__init__(faultstring)
        self.faultstring = faultstring
        self.faultcode = faultcode


@dataclass(frozen=True)
class CheckRequest:
    operation: str
    country_code: str
    vat_number: str
    #: Trader fields as sent (checkVatApprox only); absent fields are missing, empty ones are "".
    trader: dict[str, str] = field(default_factory=dict)
    requester_country: str = ""
    requester_number: str = ""


def parse_request(body: bytes) -> CheckRequest:
    """Parse a SOAP 1.1 envelope; raises SoapClientError for anything a JAX-WS endpoint would reject."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapClientError(f"Couldn't create SOAP message due to exception: {exc}") from None
    if root.tag == f"{{{SOAP12_ENV}}}Envelope":
        raise SoapClientError("Invalid SOAP envelope version: expected SOAP 1.1", "env:VersionMismatch")
    if root.tag != f"{{{SOAP11_ENV}}}Envelope":
        raise SoapClientError("Invalid SOAP envelope: root element is not soap:Envelope")
    soap_body = root.find(f"{{{SOAP11_ENV}}}Body")
    payload = None if soap_body is None else next(iter(soap_body.iterchildren(etree.Element)), None)
    if payload is None:
        raise SoapClientError("Cannot find dispatch method: empty SOAP body")
    qname = etree.QName(payload)
    if qname.namespace != TYPES_NS or qname.localname not in OPERATIONS:
        raise SoapClientError(f"Cannot find dispatch method for {{{qname.namespace}}}{qname.localname}")
    values: dict[str, str] = {}
    for child in payload.iterchildren(etree.Element):
        child_qname = etree.QName(child)
        if child_qname.namespace == TYPES_NS:
            values[child_qname.localname] = (child.text or "").strip()
    return CheckRequest(
        operation=qname.localname,
        country_code=values.get("countryCode", ""),
        vat_number=values.get("vatNumber", ""),
        trader={name: values[name] for name in TRADER_FIELDS if name in values},
        requester_country=values.get("requesterCountryCode", ""),
        requester_number=values.get("requesterVatNumber", ""),
    )


def _envelope(payload: str) -> bytes:
    return (
        f'<env:Envelope xmlns:env="{SOAP11_ENV}"><env:Header/><env:Body>{payload}</env:Body></env:Envelope>'
    ).encode()


def _elements(fields: list[tuple[str, str]]) -> str:
    return "".join(f"<ns2:{name}>{escape(value)}</ns2:{name}>" for name, value in fields)


def check_vat_response(
    *, country_code: str, vat_number: str, request_date: str, valid: bool, name: str, address: str
) -> bytes:
    fields = [
        ("countryCode", country_code),
        ("vatNumber", vat_number),
        ("requestDate", request_date),
        ("valid", "true" if valid else "false"),
        ("name", name),
        ("address", address),
    ]
    return _envelope(f'<ns2:checkVatResponse xmlns:ns2="{TYPES_NS}">{_elements(fields)}</ns2:checkVatResponse>')


def check_vat_approx_response(
    *,
    country_code: str,
    vat_number: str,
    request_date: str,
    valid: bool,
    trader: list[tuple[str, str]],
    request_identifier: str,
) -> bytes:
    """`trader` holds the optional elements in the XSD's sequence order (the caller keeps that order)."""
    fields = [
        ("countryCode", country_code),
        ("vatNumber", vat_number),
        ("requestDate", request_date),
        ("valid", "true" if valid else "false"),
        *trader,
        ("requestIdentifier", request_identifier),
    ]
    return _envelope(
        f'<ns2:checkVatApproxResponse xmlns:ns2="{TYPES_NS}">{_elements(fields)}</ns2:checkVatApproxResponse>'
    )


def fault_envelope(faultstring: str, faultcode: str = "env:Server") -> bytes:
    """VIES sends every business fault as env:Server (even INVALID_INPUT), faultstring = the bare code."""
    return _envelope(
        f"<env:Fault><faultcode>{escape(faultcode)}</faultcode>"
        f"<faultstring>{escape(faultstring)}</faultstring></env:Fault>"
    )


# --- values -----------------------------------------------------------------------------------------
def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def brussels_offset(moment: datetime) -> timedelta:
    """CET/CEST offset at `moment`: EU summer time runs from 01:00 UTC on the last Sunday of March to
    01:00 UTC on the last Sunday of October. Computed here so the simulator needs no tz database."""
    moment = moment.astimezone(UTC)
    start = datetime.combine(_last_sunday(moment.year, 3), datetime.min.time(), UTC) + timedelta(hours=1)
    end = datetime.combine(_last_sunday(moment.year, 10), datetime.min.time(), UTC) + timedelta(hours=1)
    return timedelta(hours=2) if start <= moment < end else timedelta(hours=1)


def request_date(moment: datetime) -> str:
    """xsd:date with offset as VIES writes it, in Brussels time: "2024-02-09+01:00"."""
    offset = brussels_offset(moment)
    local = moment.astimezone(UTC) + offset
    hours = int(offset.total_seconds() // 3600)
    return f"{local.date().isoformat()}+{hours:02d}:00"


_LEGAL_FORM_WORDS = (
    "ab ad ae ag aps as bv cv doo ead ehf eood gmbh ike inc kft lda limited llc ltd nv ood oy oü ou plc "
    "sa sarl sas sia sl sp spa sro srl uab z o zoo"
)
_LEGAL_FORMS = frozenset(_LEGAL_FORM_WORDS.split())


def _normalise(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() else " " for ch in plain.replace(".", ""))
    return cleaned.split()


def match_code(sent: str | None, actual: str | None, *, name: bool = False) -> str:
    """Trader match code: "1" match, "2" no match, "3" not processed (nothing sent or nothing to compare).

    Comparison ignores case, accents, punctuation and spacing (so "1016 DV" is "1016DV"); for names also
    the legal form, so "Nordlicht Logistik" matches "NORDLICHT LOGISTIK GmbH", as member states'
    approximate matching does.
    """
    if not sent or not sent.strip() or not actual:
        return "3"
    left, right = _normalise(sent), _normalise(actual)
    if "".join(left) == "".join(right):  # spacing differences too: "1016 DV" is "1016DV"
        return "1"
    if name and "".join(w for w in left if w not in _LEGAL_FORMS) == "".join(w for w in right if w not in _LEGAL_FORMS):
        return "1"
    return "2"


class ConsultationNumbers:
    """Deterministic, unique consultation numbers shaped like VIES's ("WAPIAAAAWVymNggi").

    The n-th number is an affine bijection of n modulo 52**8 spelled in letters, so numbers never repeat
    within a process (the counter survives `reset()` on purpose) yet look scattered like the real ones.
    """

    _ALPHABET = string.ascii_uppercase + string.ascii_lowercase
    _WIDTH = 8
    _MODULUS = 52**_WIDTH
    _MULTIPLIER = 33_039_929_259_115  # ~0.618 * 52**8, coprime with it (odd, not a multiple of 13)

    def __init__(self, seed: int | None = 0) -> None:
        self._offset = (seed or 0) * 7_919 + 1_000_003
        self._counter = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._counter += 1
            counter = self._counter
        value = (counter * self._MULTIPLIER + self._offset) % self._MODULUS
        letters = []
        for _ in range(self._WIDTH):
            value, digit = divmod(value, len(self._ALPHABET))
            letters.append(self._ALPHABET[digit])
        return "WAPIAAAA" + "".join(reversed(letters))
