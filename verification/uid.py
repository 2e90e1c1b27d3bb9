"""The Swiss UID register's public services (SOAP on zeep): VAT registration, then name and address.

Two operations of ``https://www.uid-wse.admin.ch/V5.0/PublicServices.svc`` (namespace
``http://www.uid.admin.ch/xmlns/uid-wse``), described by the WSDL kept beside this module
(``uid_wse.wsdl``, loaded from disk: no WSDL fetch per process, and no dependency on the register's own
``?wsdl`` being up):

1. ``ValidateVatNumber("CHE-113.552.284 MWST")``: ``true`` is ``valid``, ``false`` is ``invalid`` (not in
   the VAT register, or no longer). A ``Data_validation_failed`` fault is the register's verdict that the
   number is not a UID: ``invalid``. ``Request_limit_exceeded`` (the public service allows 20 calls a
   minute) is an outage, and the register cools down for every worker for a minute.
2. For a valid number, ``GetByUID`` for the registered name and address. Its failure does not undo the
   verdict: the result stays ``valid``, with a warning that name and address were not fetched.

The verdict is read from the raw bytes, as for VIES: a flag that is not ``true`` or ``false`` is an
outage, never ``invalid``. Evidence keeps both exchanges' envelopes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from zeep import Client, Settings
from zeep import exceptions as zeep_exceptions

from verification import ratelimit, registry_http
from verification.registries import CountryRegistry
from verification.soap_evidence import EXCHANGE, EvidenceTransport, Exchange
from verification.vat import NormalisedVat
from verification.verdicts import Requester, ServiceResult, Status
from verification.vies_faults import Failure

__all__ = [
    "LIVE_SERVICE_URL",
    "SERVICE",
    "WSDL_FILE",
    "UidClient",
    "UidConfig",
    "UidRegistry",
    "clear_cache",
    "parse_organisation",
]

logger = logging.getLogger(__name__)

SERVICE = "uid"
LABEL = "the Swiss UID register"
LIVE_SERVICE_URL = "https://www.uid-wse.admin.ch/V5.0/PublicServices.svc"
WSDL_FILE = Path(__file__).resolve().parent / "uid_wse.wsdl"
NAMESPACE = "http://www.uid.admin.ch/xmlns/uid-wse"
_BINDING = f"{{{NAMESPACE}}}BasicHttpBinding_IPublicServices"
RATE_LIMIT_COOLDOWN = 60.0  # seconds: the public service counts 20 calls per minute

MALFORMED = registry_http.malformed("The UID register", "SOAP response")
_FAULTS = {
    "Data_validation_failed": Failure(
        Status.INVALID, "DATA_VALIDATION_FAILED", "The UID register says this is not a valid UID."
    ),
    "Request_limit_exceeded": Failure(
        Status.UNVERIFIED,
        "RATE_LIMITED",
        "The UID register's limit of requests per minute is reached; the check will be retried.",
    ),
}


@dataclass(frozen=True)
class UidConfig:
    service_url: str = LIVE_SERVICE_URL
    timeouts: registry_http.Timeouts = field(default_factory=registry_http.Timeouts)
    proxy_url: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls) -> UidConfig:
        from django.conf import settings

        return cls(
            service_url=getattr(settings, "UID_SERVICE_URL", "") or LIVE_SERVICE_URL,
            timeouts=registry_http.Timeouts.from_settings(),
            proxy_url=registry_http.proxy_url(),
        )


_lock = threading.Lock()
_services: dict[UidConfig, Any] = {}


def _service_for(config: UidConfig) -> Any:
    with _lock:
        service = _services.get(config)
        if service is None:
            timeouts = config.timeouts.pair
            transport = EvidenceTransport(
                session=registry_http.session_for(config.proxy_url), timeout=timeouts, operation_timeout=timeouts
            )
            client = Client(str(WSDL_FILE), transport=transport, settings=Settings(strict=True, forbid_dtd=True))
            service = _services[config] = client.create_service(_BINDING, config.service_url)
        return service


def clear_cache() -> None:
    """Forget loaded services (tests; a settings change in a long-running process)."""
    with _lock:
        _services.clear()


def _forget_after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    _services.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


@dataclass
class _Call:
    """One operation's outcome: the reply or a failure, and its exchange."""

    exchange: Exchange
    failure: Failure | None = None


@dataclass
class UidClient:
    config: UidConfig = field(default_factory=UidConfig)

    def check(self, uid_digits: str) -> ServiceResult:
        """ValidateVatNumber, then GetByUID when valid; one result with both exchanges as evidence."""
        started = time.monotonic()
        vat_number = f"CHE-{uid_digits[0:3]}.{uid_digits[3:6]}.{uid_digits[6:9]} MWST"
        validate = self._call("ValidateVatNumber", vatNumber=vat_number)
        valid = None if validate.failure else _flag(validate.exchange.response)
        if validate.failure is not None or valid is None:
            failure = validate.failure or MALFORMED
            return _result(failure.status, failure.code, failure.message, [validate], started)
        if not valid:
            message = "The UID register says the number is not in the Swiss VAT register (or no longer)."
            return _result(Status.INVALID, "NOT_VAT_REGISTERED", message, [validate], started)
        details = self._call("GetByUID", uid={"uidOrganisationIdCategorie": "CHE", "uidOrganisationId": uid_digits})
        found = None if details.failure else parse_organisation(details.exchange.response)
        result = _result(
            Status.VALID,
            "",
            "The UID register confirms the number is in the Swiss VAT register.",
            [validate, details],
            started,
        )
        if found is None:
            why = details.failure.code if details.failure else "no organisation in the answer"
            result.warnings.append(f"The registered name and address could not be fetched ({why}).")
        else:
            result.name, result.address = found
        return result

    def _call(self, operation: str, **params: Any) -> _Call:
        exchange = Exchange()
        token = EXCHANGE.set(exchange)
        try:
            getattr(_service_for(self.config), operation)(**params)
        except zeep_exceptions.Fault as fault:
            failure = _FAULTS.get((fault.message or "").strip())
            if failure is None:
                shown = (fault.message or "").strip()[:200] or "no fault string"
                failure = Failure(
                    Status.UNVERIFIED,
                    "SOAP_FAULT",
                    f"The UID register returned a fault ({shown}); the check will be retried.",
                )
            return _Call(exchange, failure)
        except requests.RequestException as exc:
            logger.info("UID %s failed: %s", operation, exc)
            return _Call(exchange, registry_http.transport_failure(exc, LABEL))
        except zeep_exceptions.TransportError as exc:
            status = exc.status_code or exchange.status or 0
            if status >= 300:
                return _Call(exchange, registry_http.status_failure(status, LABEL))
            return _Call(exchange, None if exchange.status == 200 else MALFORMED)  # the raw bytes decide
        except (zeep_exceptions.Error, etree.LxmlError, ValueError):
            # zeep could not read the body; the raw bytes decide (a 200 whose verdict we can read stands).
            if exchange.status == 200:
                return _Call(exchange)
            return _Call(
                exchange, registry_http.status_failure(exchange.status, LABEL) if exchange.status else MALFORMED
            )
        finally:
            EXCHANGE.reset(token)
        return _Call(exchange)


def _result(status: Status, code: str, message: str, calls: list[_Call], started: float) -> ServiceResult:
    return ServiceResult(
        service=SERVICE,
        status=status,
        error_code=code,
        message=message,
        latency_ms=registry_http.elapsed_ms(started),
        raw_request="\n\n".join(registry_http.evidence_text(call.exchange.request) for call in calls),
        raw_response="\n\n".join(registry_http.evidence_text(call.exchange.response) for call in calls),
    )


def _root(content: bytes) -> etree._Element | None:
    if not content:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError:
        return None


def _flag(content: bytes) -> bool | None:
    """``ValidateVatNumberResult`` from the raw bytes; None unless it is plainly true or false."""
    root = _root(content)
    node = root.find(f".//{{{NAMESPACE}}}ValidateVatNumberResult") if root is not None else None
    text = (node.text or "").strip().lower() if node is not None else ""
    return {"true": True, "false": False, "1": True, "0": False}.get(text)


def parse_organisation(content: bytes) -> tuple[str | None, str | None] | None:
    """Name and address of the first organisation in a GetByUID response, or None when there is none.

    The organisation record nests eCH-0108, eCH-0098 and eCH-0097 namespaces (see the captured sample);
    fields are found by local name so that a namespace version change does not lose them.
    """
    root = _root(content)
    if root is None:
        return None
    organisations = root.xpath("//*[local-name()='GetByUIDResult']/*[local-name()='organisationType']")
    if not organisations:
        return None
    record = organisations[0]

    def first(name: str) -> str:
        found = record.xpath(f".//*[local-name()='{name}']/text()")
        return str(found[0]).strip() if found else ""

    name = first("organisationName") or first("organisationLegalName") or None
    street = " ".join(part for part in (first("street"), first("houseNumber")) if part)
    place = " ".join(part for part in (first("swissZipCode"), first("town")) if part)
    lines = [first("addressLine1"), street, place]
    address = "\n".join(line for line in lines if line) or None
    return name, address


class UidRegistry(CountryRegistry):
    """The UID register behind the registry interface: CHE numbers."""

    name = SERVICE
    country = "CH"
    label = "UID register"

    def __init__(self, config: UidConfig | None = None) -> None:
        self.config = config or UidConfig.from_settings()

    def check(self, vat: NormalisedVat, *, requester: Requester | None, trader_name: str | None) -> ServiceResult:
        result = UidClient(self.config).check(vat.number)
        if result.error_code == "RATE_LIMITED":
            ratelimit.mark_cooldown(SERVICE, vat.country_code, RATE_LIMIT_COOLDOWN)
        return result
