"""The registries beyond VIES, each in its own wire format, served from the same registry of companies.

Routes (docs/simulator.md):

- ``POST /hmrc/oauth/token``: an OAuth client-credentials token for any non-empty client id and secret
  (``expires_in`` 14400, as HMRC's); ``GET /hmrc/organisations/vat/check-vat-number/lookup/{target}`` and
  ``.../{target}/{requester}`` need ``Accept: application/vnd.hmrc.2.0+json`` and a token this server
  issued (401 otherwise); 200 with the captured JSON shape, 404 ``NOT_FOUND`` for a number that is not
  valid, 403 for a requester that is not valid. ``DELETE /_sim/hmrc/tokens`` revokes every token.
- ``POST /uid/V5.0/PublicServices.svc``: SOAP 1.1 ``ValidateVatNumber`` and ``GetByUID`` as the UID
  register answers them (``GET ...?wsdl``: the WSDL the client keeps, pointed at this server).
- ``GET /brreg/enhetsregisteret/api/enheter/{orgnr}``: Brønnøysund's entity JSON; ``slettedato`` for a
  deleted entity, 404 for an unknown one.

The registry's faults (per number, per country and random) and latency apply to every request, mapped
to what each registry really sends: an unavailable registry is a 5xx (a SOAP fault for the UID
register), a concurrency fault is HMRC's 429 or the UID register's ``Request_limit_exceeded``, invalid
input is a 400 (``Data_validation_failed``); HTML_503, HANG and BAD_XML are the same transport faults as
for VIES. Scheduled changes apply as for VIES; ``valid=false`` is "not registered for VAT".
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from lxml import etree

from .faults import Fault
from .registry import CompanyState

if TYPE_CHECKING:
    from .app import SimulatorApp

HMRC_PREFIX = "/hmrc"
UID_PATH = "/uid/V5.0/PublicServices.svc"
BRREG_PREFIX = "/brreg/enhetsregisteret/api/enheter/"
CONTROL_TOKENS = "/_sim/hmrc/tokens"
HMRC_ACCEPT = "application/vnd.hmrc.2.0+json"
UID_WSDL_FILE = Path(__file__).resolve().parent.parent / "uid_wse.wsdl"
_LOOKUP = re.compile(r"^/hmrc/organisations/vat/check-vat-number/lookup/([^/]+)(?:/([^/]+))?$")
_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
_UID = "http://www.uid.admin.ch/xmlns/uid-wse"
_SHARED = "http://www.uid.admin.ch/xmlns/uid-wse-shared/2"
_CONCURRENCY = {
    Fault.MS_MAX_CONCURRENT_REQ,
    Fault.MS_MAX_CONCURRENT_REQ_TIME,
    Fault.GLOBAL_MAX_CONCURRENT_REQ,
    Fault.GLOBAL_MAX_CONCURRENT_REQ_TIME,
}
_HTML_503 = (
    b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1></body></html>\n"
)

Answer = tuple[int, str, bytes, str]  # status, content type, body, log note


def handles(path: str) -> bool:
    return path.startswith((HMRC_PREFIX + "/", UID_PATH, BRREG_PREFIX)) or path == CONTROL_TOKENS


class NationalRegistries:
    """HMRC's, the UID register's and Brønnøysund's endpoints over the app's registry and faults."""

    def __init__(self, app: SimulatorApp) -> None:
        self.app = app
        self._tokens: set[str] = set()
        self._lock = threading.Lock()

    def reset(self) -> None:
        self.revoke_tokens()

    def revoke_tokens(self) -> int:
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
        return count

    def route(self, environ: dict[str, Any], method: str, path: str, body: bytes) -> Answer:
        if path == CONTROL_TOKENS:
            if method != "DELETE":
                return _json(405, {"error": f"{method} not allowed here"}, "control")
            return _json(200, {"revoked": self.revoke_tokens()}, "control")
        if path == HMRC_PREFIX + "/oauth/token":
            return self._hmrc_token(method, body)
        if path.startswith(HMRC_PREFIX + "/"):
            return self._hmrc_lookup(environ, method, path)
        if path.startswith(BRREG_PREFIX):
            return self._brreg(method, path[len(BRREG_PREFIX) :])
        return self._uid(environ, method, body)

    # --- shared ------------------------------------------------------------------------------------
    def _serve(self, country: str, number: str, operation: str, answer: Any) -> Answer:
        """Count, delay and fault one request like the VIES endpoint does, then let `answer` reply."""
        stats, faults = self.app.stats, self.app.faults
        stats.enter(country)
        try:
            delay = faults.latency_seconds()
            if delay > 0:
                time.sleep(delay)
            fault = self.app.registry.take_fault(country, number) or faults.random_fault()
            if fault is Fault.HANG:
                faults.hang()
            status, content_type, body, outcome = answer(fault)
        finally:
            stats.leave(country)
        stats.record(operation, outcome, country)
        return status, content_type, body, f"{operation} {country}{number} {outcome}"

    def _state(self, key: str) -> CompanyState | None:
        return self.app.registry.lookup(key)

    # --- HMRC --------------------------------------------------------------------------------------
    def _hmrc_token(self, method: str, body: bytes) -> Answer:
        if method != "POST":
            return _json(405, {"code": "METHOD_NOT_ALLOWED", "message": "POST only"}, "rejected")
        form = {key: values[0] for key, values in _form(body).items()}
        if form.get("grant_type") != "client_credentials" or not form.get("client_id") or not form.get("client_secret"):
            return _json(401, {"error": "invalid_client", "error_description": "invalid client id or secret"}, "token")
        token = secrets.token_hex(16)
        with self._lock:
            self._tokens.add(token)
        self.app.stats.record_other("token")
        payload = {"access_token": token, "token_type": "bearer", "expires_in": 14400, "scope": "read:vat"}
        return _json(200, payload, "token")

    def _hmrc_lookup(self, environ: dict[str, Any], method: str, path: str) -> Answer:
        match = _LOOKUP.match(path)
        if match is None:
            return _json(
                404,
                {
                    "code": "MATCHING_RESOURCE_NOT_FOUND",
                    "message": "A resource with the name in the request can not be found in the API",
                },
                "not found",
            )
        if method != "GET":
            return _json(405, {"code": "METHOD_NOT_ALLOWED", "message": "GET only"}, "rejected")
        if HMRC_ACCEPT not in environ.get("HTTP_ACCEPT", ""):
            return _json(
                406, {"code": "ACCEPT_HEADER_INVALID", "message": "The accept header is missing or invalid"}, "rejected"
            )
        token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        with self._lock:
            authorised = token in self._tokens
        if not authorised:
            return _json(
                401,
                {"code": "INVALID_CREDENTIALS", "message": "Invalid Authentication information provided"},
                "unauthorised",
            )
        target, requester = match.group(1), match.group(2)
        if not re.fullmatch(r"\d{9}|\d{12}", target):
            return _json(
                400,
                {"code": "INVALID_REQUEST", "message": "Invalid targetVrn - Vrn parameters should be 9 or 12 digits"},
                "invalid",
            )

        def answer(fault: Fault | None) -> tuple[int, str, bytes, str]:
            if fault is not None:
                return _hmrc_fault(fault)
            state = self._state("GB" + target)
            if state is None or not state.valid:
                body = {"code": "NOT_FOUND", "message": "targetVrn does not match a registered company"}
                return 404, "application/json", _dump(body), "invalid"
            payload: dict[str, Any] = {"target": _hmrc_target(state)}
            if requester:
                found = self._state("GB" + requester)
                if found is None or not found.valid:
                    body = {"code": "INVALID_REQUEST", "message": "requesterVrn does not match a registered company"}
                    return 403, "application/json", _dump(body), "INVALID_REQUESTER_INFO"
                payload["requester"] = requester
                payload["consultationNumber"] = secrets.token_urlsafe(7)[:9]
            payload["processingDate"] = datetime.now(UTC).replace(microsecond=0).isoformat()
            return 200, "application/json", _dump(payload), "valid"

        return self._serve("GB", target, "hmrcLookup", answer)

    # --- Brønnøysund -------------------------------------------------------------------------------
    def _brreg(self, method: str, orgnr: str) -> Answer:
        if method != "GET":
            return _json(405, {"error": "Method Not Allowed"}, "rejected")
        if not re.fullmatch(r"\d{9}", orgnr):
            body = {
                "status": 400,
                "error": "Bad Request",
                "valideringsfeil": [{"feilmelding": "Ugyldig organisasjonsnummer"}],
            }
            return _json(400, body, "invalid")

        def answer(fault: Fault | None) -> tuple[int, str, bytes, str]:
            if fault is not None:
                return _json_fault(fault, {"status": 500, "error": "Internal Server Error"})
            state = self._state("NO" + orgnr)
            if state is None:
                return 404, "application/json", _dump({"status": 404, "error": "Not Found"}), "invalid"
            return (
                200,
                "application/json",
                _dump(_brreg_entity(orgnr, state)),
                ("deleted" if state.deleted else "valid" if state.valid else "invalid"),
            )

        return self._serve("NO", orgnr, "brregEnhet", answer)

    # --- UID register ------------------------------------------------------------------------------
    def _uid(self, environ: dict[str, Any], method: str, body: bytes) -> Answer:
        if method in ("GET", "HEAD") and "wsdl" in environ.get("QUERY_STRING", "").lower():
            self.app.stats.record_other("wsdl")
            host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
            wsdl = UID_WSDL_FILE.read_bytes().replace(
                b"https://www.uid-wse.admin.ch/V5.0/PublicServices.svc", f"http://{host}{UID_PATH}".encode()
            )
            return 200, "text/xml; charset=UTF-8", wsdl, "wsdl"
        if method != "POST":
            return 405, "text/plain; charset=utf-8", b"Method not allowed\n", "rejected"
        if environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() != "text/xml":
            return 415, "text/plain; charset=utf-8", b"Cannot process the message: expected text/xml\n", "rejected"
        operation, digits = _uid_request(body)
        if operation is None:
            return 500, "text/xml; charset=utf-8", _uid_fault("a:ActionNotSupported", "ActionNotSupported"), "rejected"

        def answer(fault: Fault | None) -> tuple[int, str, bytes, str]:
            if fault is not None:
                return _uid_fault_reply(fault, operation)
            if digits is None:
                return (
                    500,
                    "text/xml; charset=utf-8",
                    _uid_business_fault(operation, "Data_validation_failed"),
                    ("INVALID_INPUT"),
                )
            state = self._state("CHE" + digits)
            if operation == "ValidateVatNumber":
                valid = state is not None and state.valid
                return 200, "text/xml; charset=utf-8", _uid_validate(valid), "valid" if valid else "invalid"
            return (
                200,
                "text/xml; charset=utf-8",
                _uid_organisation(digits, state),
                ("found" if state is not None else "unknown"),
            )

        return self._serve("CH", "E" + (digits or ""), operation, answer)


# --- HMRC wire ---------------------------------------------------------------------------------------
def _hmrc_target(state: CompanyState) -> dict[str, Any]:
    lines = [line for line in state.address.splitlines() if line.strip()]
    postcode = state.postcode or (lines.pop() if len(lines) > 1 else "")
    address = {f"line{i}": line for i, line in enumerate(lines[:5], start=1)}
    address.update({"postcode": postcode, "countryCode": "GB"})
    return {"name": state.name, "vatNumber": state.number, "address": address}


def _hmrc_fault(fault: Fault) -> tuple[int, str, bytes, str]:
    if fault is Fault.INVALID_INPUT:
        body = {"code": "INVALID_REQUEST", "message": "Invalid targetVrn - Vrn parameters should be 9 or 12 digits"}
        return 400, "application/json", _dump(body), fault.value
    if fault is Fault.INVALID_REQUESTER_INFO:
        body = {"code": "INVALID_REQUEST", "message": "requesterVrn does not match a registered company"}
        return 403, "application/json", _dump(body), fault.value
    return _json_fault(fault, {"code": "INTERNAL_SERVER_ERROR", "message": "Unknown error"})


def _json_fault(fault: Fault, server_error: dict[str, Any]) -> tuple[int, str, bytes, str]:
    """A fault as a JSON API reports it: 429 for load, 5xx for outages, the transport faults as for VIES."""
    if fault is Fault.HTML_503:
        return 503, "text/html; charset=utf-8", _HTML_503, fault.value
    if fault is Fault.BAD_XML:
        return 200, "application/json", b'{"target": {"name": "Trunc', fault.value
    if fault in _CONCURRENCY:
        body = {
            "code": "MESSAGE_THROTTLED_OUT",
            "message": "The request for the API is throttled as you have exceeded your quota.",
        }
        return 429, "application/json", _dump(body), fault.value
    if fault is Fault.INVALID_INPUT:
        return 400, "application/json", _dump({"status": 400, "error": "Bad Request"}), fault.value
    return (504 if fault is Fault.HANG else 500), "application/json", _dump(server_error), fault.value


# --- Brønnøysund wire --------------------------------------------------------------------------------
def _brreg_entity(orgnr: str, state: CompanyState) -> dict[str, Any]:
    links = {"self": {"href": f"https://data.brreg.no/enhetsregisteret/api/enheter/{orgnr}"}}
    form = {"kode": state.company_type or "AS", "beskrivelse": "Aksjeselskap"}
    if state.deleted:
        return {
            "organisasjonsnummer": orgnr,
            "navn": state.name,
            "organisasjonsform": form,
            "slettedato": datetime.now(UTC).date().isoformat(),
            "_links": links,
        }
    lines = [line for line in state.address.splitlines() if line.strip()]
    place = lines.pop() if len(lines) > 1 else ""
    postcode, _, town = place.partition(" ")
    address = {
        "land": "Norge",
        "landkode": "NO",
        "postnummer": state.postcode or postcode,
        "poststed": state.city or town,
        "adresse": [state.street] if state.street else lines,
    }
    return {
        "organisasjonsnummer": orgnr,
        "navn": state.name,
        "organisasjonsform": form,
        "registreringsdatoEnhetsregisteret": "2010-01-04",
        "registrertIMvaregisteret": state.valid,
        "forretningsadresse": address,
        "konkurs": False,
        "underAvvikling": False,
        "underTvangsavviklingEllerTvangsopplosning": False,
        "maalform": "Bokmål",
        "_links": links,
    }


# --- UID register wire -------------------------------------------------------------------------------
def _uid_request(body: bytes) -> tuple[str | None, str | None]:
    """(operation, the UID's 9 digits or None when the argument is not a UID), or (None, None)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None, None
    call = root.find(f"{{{_SOAP}}}Body/*")
    if call is None or etree.QName(call).namespace != _UID:
        return None, None
    operation = etree.QName(call).localname
    if operation == "ValidateVatNumber":
        text = "".join(call.itertext()).upper()
        match = re.fullmatch(r"CHE(\d{9})(?:MWST|TVA|IVA)?", re.sub(r"[\s.\-]", "", text))
        return operation, match.group(1) if match else None
    if operation == "GetByUID":
        found = call.xpath(".//*[local-name()='uidOrganisationId']/text()")
        digits = str(found[0]).strip() if found else ""
        return operation, digits if re.fullmatch(r"\d{9}", digits) else None
    return None, None


def _envelope(inner: str) -> bytes:
    return f'<s:Envelope xmlns:s="{_SOAP}"><s:Body>{inner}</s:Body></s:Envelope>'.encode()


def _uid_validate(valid: bool) -> bytes:
    flag = "true" if valid else "false"
    return _envelope(
        f'<ValidateVatNumberResponse xmlns="{_UID}"><ValidateVatNumberResult>{flag}</ValidateVatNumberResult>'
        "</ValidateVatNumberResponse>"
    )


def _uid_organisation(digits: str, state: CompanyState | None) -> bytes:
    """GetByUID's answer: the organisation record in its eCH namespaces, or an empty result."""
    record = ""
    if state is not None:
        lines = [line for line in state.address.splitlines() if line.strip()]
        place = lines.pop() if len(lines) > 1 else ""
        zip_code, _, town = place.partition(" ")
        street = state.street or (lines[0] if lines else "")
        uid = (
            "<uidOrganisationIdCategorie>CHE</uidOrganisationIdCategorie>"
            f"<uidOrganisationId>{digits}</uidOrganisationId>"
        )
        vat_status = "2" if state.valid else "3"  # 2 active, 3 deleted from the VAT register
        record = (
            '<organisationType xmlns="http://www.uid.admin.ch/xmlns/uid-wse/5"><organisation>'
            '<organisation xmlns="http://www.ech.ch/xmlns/eCH-0108/5">'
            '<organisationIdentification xmlns="http://www.ech.ch/xmlns/eCH-0098/5">'
            f'<uid xmlns="http://www.ech.ch/xmlns/eCH-0097/5">{uid}</uid>'
            f"<organisationName>{escape(state.name)}</organisationName>"
            f"<organisationLegalName>{escape(state.name)}</organisationLegalName>"
            f"<legalForm>{escape(state.company_type or '0106')}</legalForm>"
            "</organisationIdentification>"
            f"<address><addressCategory>LEGAL</addressCategory><street>{escape(street)}</street>"
            f"<town>{escape(state.city or town)}</town><swissZipCode>{escape(state.postcode or zip_code)}"
            "</swissZipCode><countryIdISO2>CH</countryIdISO2></address>"
            "</organisation>"
            "<uidregInformation><uidregStatusEnterpriseDetail>3</uidregStatusEnterpriseDetail></uidregInformation>"
            f"<vatRegisterInformation><vatStatus>{vat_status}</vatStatus><uidVat>{uid}</uidVat>"
            "</vatRegisterInformation>"
            "</organisation></organisationType>"
        )
    return _envelope(f'<GetByUIDResponse xmlns="{_UID}"><GetByUIDResult>{record}</GetByUIDResult></GetByUIDResponse>')


def _uid_fault(code: str, faultstring: str, detail: str = "") -> bytes:
    return _envelope(
        f'<s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/ws/2005/05/addressing/none">{code}</faultcode>'
        f'<faultstring xml:lang="de-CH">{faultstring}</faultstring>{detail}</s:Fault>'
    )


def _uid_business_fault(operation: str, error: str, detail: str = "") -> bytes:
    text = detail or error.replace("_", " ")
    return _uid_fault(
        "s:Client",
        error,
        f'<detail><businessFault xmlns="{_UID}"><operation xmlns="{_SHARED}">{operation}</operation>'
        f'<error xmlns="{_SHARED}">{error}</error><errorDetail xmlns="{_SHARED}">{text}</errorDetail>'
        "</businessFault></detail>",
    )


def _uid_fault_reply(fault: Fault, operation: str) -> tuple[int, str, bytes, str]:
    xml = "text/xml; charset=utf-8"
    if fault is Fault.HTML_503:
        return 503, "text/html; charset=utf-8", _HTML_503, fault.value
    if fault is Fault.BAD_XML:
        return 200, xml, b'<s:Envelope xmlns:s="' + _SOAP.encode() + b'"><s:Body><ValidateVatNum', fault.value
    if fault in _CONCURRENCY:
        detail = "Maximum number of 20 requests per 1 minute(s) exceeded"
        return 500, xml, _uid_business_fault(operation, "Request_limit_exceeded", detail), fault.value
    if fault is Fault.INVALID_INPUT:
        return 500, xml, _uid_business_fault(operation, "Data_validation_failed"), fault.value
    return 500, xml, _uid_fault("s:Server", "Internal_error"), fault.value


# --- helpers -----------------------------------------------------------------------------------------
def _dump(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def _json(status: int, payload: Any, note: str) -> Answer:
    return status, "application/json", _dump(payload), note


def _form(body: bytes) -> dict[str, list[str]]:
    return parse_qs(body.decode("utf-8", errors="replace"))
