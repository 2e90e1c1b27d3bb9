"""The VIES SOAP client: ``checkVat`` and ``checkVatApprox`` on zeep, with evidence and fault mapping.

Why it looks like this:

- The WSDL is parsed once per process (per WSDL URL, service URL and timeouts) and shared by every
  thread: fetching and parsing it on each call would double the load on VIES and our latency.
- Every HTTP call has a connect and a read timeout; zeep's ``operation_timeout`` is off by default.
- Each call records the exact bytes sent and received (the raw SOAP envelopes, fault bodies, HTML error
  pages) as evidence: the consultation number and the response are what a tax auditor asks for.
- Failures are classified by :mod:`verification.vies_faults`: an outage is ``unverified``, never
  ``invalid``. A response whose ``valid`` flag we cannot read is treated as an outage, too.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from lxml import etree
from requests.adapters import HTTPAdapter
from zeep import Client, Settings

from verification import ratelimit
from verification.registries import requester_for_registry
from verification.registry_http import elapsed_ms, evidence_text, failed_result
from verification.soap_evidence import EXCHANGE, EvidenceTransport, Exchange
from verification.vat import VIES_COUNTRY_CODES, NormalisedVat
from verification.verdicts import Requester, ServiceResult, Status
from verification.vies_faults import (
    CONCURRENCY_FAULTS,
    GLOBAL_CONCURRENCY_FAULTS,
    INVALID_REQUESTER_INFO,
    MALFORMED,
    Failure,
    classify_exception,
)

__all__ = [
    "OFFICIAL_WSDL_URL",
    "SERVICE",
    "ViesClient",
    "ViesConfig",
    "ViesRegistry",
    "clear_client_cache",
    "get_client",
]

logger = logging.getLogger(__name__)

SERVICE = "vies"
OFFICIAL_WSDL_URL = "https://ec.europa.eu/taxation_customs/vies/checkVatService.wsdl"
_BINDING = "{urn:ec.europa.eu:taxud:vies:services:checkVat}checkVatBinding"
_TYPES_NS = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"
_WSDL_RETRY_AFTER = 10.0  # seconds during which a failed WSDL load is not retried
_MATCH_FIELDS = {
    "traderNameMatch": "name",
    "traderCompanyTypeMatch": "company_type",
    "traderStreetMatch": "street",
    "traderPostcodeMatch": "postcode",
    "traderCityMatch": "city",
}


@dataclass(frozen=True)
class ViesConfig:
    """Where VIES is and how long we wait for it. Hashable: it is the key of the client cache."""

    wsdl_url: str = OFFICIAL_WSDL_URL
    service_url: str = ""  # "" = the address in the WSDL
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    pool_size: int = 20  # HTTP connections kept per host, shared by the threads of one process
    # The egress proxy every call goes through ("" = none, or the environment's); out of repr: it may
    # hold the proxy's password.
    proxy_url: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls) -> ViesConfig:
        """Read VIES_* settings, tolerating their absence (defaults are the official service)."""
        from django.conf import settings

        return cls(
            wsdl_url=getattr(settings, "VIES_WSDL_URL", "") or OFFICIAL_WSDL_URL,
            service_url=getattr(settings, "VIES_SERVICE_URL", "") or "",
            connect_timeout=float(getattr(settings, "VIES_CONNECT_TIMEOUT", 5.0)),
            read_timeout=float(getattr(settings, "VIES_READ_TIMEOUT", 20.0)),
            proxy_url=getattr(settings, "EGRESS_PROXY_URL", "") or "",
        )


_lock = threading.Lock()
_services: dict[ViesConfig, Any] = {}
_failures: dict[ViesConfig, tuple[float, BaseException]] = {}


def _service_for(config: ViesConfig) -> Any:
    """Return the zeep service proxy for ``config``, loading the WSDL at most once per process.

    The lock is held while the WSDL loads so concurrent first calls wait for one fetch instead of each
    making their own; a failed load is remembered for a few seconds so a dead endpoint is not hammered.
    """
    service = _services.get(config)
    if service is not None:
        return service
    with _lock:
        service = _services.get(config)
        if service is not None:
            return service
        failed = _failures.get(config)
        if failed and time.monotonic() - failed[0] < _WSDL_RETRY_AFTER:
            raise failed[1]
        try:
            service = _build_service(config)
        except Exception as exc:
            _failures[config] = (time.monotonic(), exc)
            raise
        _failures.pop(config, None)
        _services[config] = service
        return service


def _build_service(config: ViesConfig) -> Any:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=config.pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # The environment is read here, once per client, not by requests on every call (its trust_env reads
    # every variable of the environment twice per request: a tenth of a re-check's CPU). What it would
    # use stays the same: the proxy variables for the service's address (NO_PROXY included) and a CA bundle.
    session.trust_env = False
    if config.proxy_url:
        # The WSDL and every call leave through the egress proxy, by name: the registry's address is
        # the operator's, not a user's, so there is nothing to pin (unlike notifications/http.py).
        session.proxies = {"http": config.proxy_url, "https": config.proxy_url}
    else:
        session.proxies = requests.utils.get_environ_proxies(config.service_url or config.wsdl_url)
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    timeouts = (config.connect_timeout, config.read_timeout)
    transport = EvidenceTransport(session=session, timeout=timeouts, operation_timeout=timeouts)
    client = Client(config.wsdl_url, transport=transport, settings=Settings(strict=True, forbid_dtd=True))
    if config.service_url:
        return client.create_service(_BINDING, config.service_url)
    return client.service


def clear_client_cache() -> None:
    """Forget loaded WSDLs (tests; a settings change in a long-running process)."""
    with _lock:
        _services.clear()
        _failures.clear()


def _forget_after_fork() -> None:
    """A forked child (a Celery prefork worker) must not share the parent's HTTP connections."""
    global _lock
    _lock = threading.Lock()
    _services.clear()
    _failures.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def get_client() -> ViesClient:
    """A client configured from Django settings; cheap, the parsed WSDL is shared."""
    return ViesClient(ViesConfig.from_settings())


@dataclass
class ViesClient:
    """Calls VIES and turns each answer, fault or failure into a :class:`ServiceResult`."""

    config: ViesConfig = field(default_factory=ViesConfig)

    def check_vat(self, country_code: str, number: str) -> ServiceResult:
        """``checkVat``: valid or not, with name and address where the member state discloses them."""
        return self._call("checkVat", {"countryCode": country_code, "vatNumber": number}, country_code)

    def check_vat_approx(
        self,
        country_code: str,
        number: str,
        *,
        requester: NormalisedVat | None = None,
        trader_name: str | None = None,
        trader_street: str | None = None,
        trader_postcode: str | None = None,
        trader_city: str | None = None,
    ) -> ServiceResult:
        """``checkVatApprox``: as checkVat, plus match codes for the trader fields given and, when a
        requester is given, a consultation number (``requestIdentifier``), the legal proof of the check.

        If VIES rejects the requester (``INVALID_REQUESTER_INFO``) the number is checked again with
        ``checkVat`` and the result says ``requester_rejected``: the workspace's company VAT is wrong.
        """
        params: dict[str, str] = {"countryCode": country_code, "vatNumber": number}
        optional = {
            "traderName": trader_name,
            "traderStreet": trader_street,
            "traderPostcode": trader_postcode,
            "traderCity": trader_city,
        }
        params.update({key: value.strip() for key, value in optional.items() if value and value.strip()})
        if requester is not None:
            params["requesterCountryCode"] = requester.country_code
            params["requesterVatNumber"] = requester.number
        result = self._call("checkVatApprox", params, country_code)
        if result.error_code != INVALID_REQUESTER_INFO or requester is None:
            return result
        fallback = self.check_vat(country_code, number)
        fallback.requester_rejected = True
        notice = (
            f"VIES rejected the requester VAT number {requester.vat_number} (INVALID_REQUESTER_INFO): "
            "correct your company's VAT number. This check was made without a requester, so it has no "
            "consultation number."
        )
        fallback.warnings.insert(0, notice)
        fallback.message = f"{notice} {fallback.message}".strip()
        return fallback

    def _call(self, operation: str, params: dict[str, str], country_code: str) -> ServiceResult:
        try:
            service = _service_for(self.config)
        except Exception as exc:
            failure = classify_exception(exc)
            if failure is None:
                raise
            logger.warning("VIES WSDL %s could not be loaded: %s", self.config.wsdl_url, exc)
            return ServiceResult(
                service=SERVICE,
                status=Status.UNVERIFIED,
                error_code="WSDL_UNAVAILABLE",
                message=f"The VIES service description could not be loaded ({failure.code}); "
                "the check will be retried.",
            )
        exchange = Exchange()
        token = EXCHANGE.set(exchange)
        started = time.monotonic()
        try:
            reply = getattr(service, operation)(**params)
        except Exception as exc:
            failure = classify_exception(exc, exchange.status)
            if failure is None:
                raise
            logger.info("VIES %s for %s failed: %s (%s)", operation, country_code, failure.code, exc)
            return _failed(failure, exchange, elapsed_ms(started))
        finally:
            EXCHANGE.reset(token)
        return _parse_reply(operation, reply, exchange, elapsed_ms(started), country_code, sent=params)


def _parse_reply(
    operation: str,
    reply: Any,
    exchange: Exchange,
    latency_ms: int,
    country_code: str,
    *,
    sent: dict[str, str] | None = None,
) -> ServiceResult:
    """Turn a zeep reply into a result, refusing replies whose verdict we cannot trust."""
    valid = _raw_valid_flag(exchange.response)
    answered_country = (getattr(reply, "countryCode", None) or "").strip().upper()
    if reply is None or valid is None or reply.valid is not valid:
        return _failed(MALFORMED, exchange, latency_ms)
    if answered_country and answered_country != country_code.upper():
        wrong = Failure(
            MALFORMED.status,
            MALFORMED.code,
            f"VIES answered for {answered_country} instead of {country_code}; the check will be retried.",
        )
        return _failed(wrong, exchange, latency_ms)

    if operation == "checkVatApprox":
        name = _disclosed(reply.traderName)
        address = _disclosed(getattr(reply, "traderAddress", None)) or _joined_address(reply)
        match_codes = {
            key: str(value).strip()
            for attr, key in _MATCH_FIELDS.items()
            if (value := getattr(reply, attr, None)) not in (None, "")
        }
        consultation = (getattr(reply, "requestIdentifier", None) or "").strip()
        name, address = _without_echoes(name, address, reply, sent or {}, match_codes)
    else:
        name, address, match_codes, consultation = _disclosed(reply.name), _disclosed(reply.address), {}, ""

    warnings: list[str] = []
    if valid and name is None:
        warnings.append("The member state does not disclose the registered name.")
    if valid and address is None:
        warnings.append("The member state does not disclose the registered address.")
    message = (
        "VIES confirms the number is valid for intra-EU trade."
        if valid
        else "VIES says the number is not valid for intra-EU trade (not registered, deregistered, "
        "or not enabled for intra-Community transactions)."
    )
    return ServiceResult(
        service=SERVICE,
        status=Status.VALID if valid else Status.INVALID,
        name=name,
        address=address,
        match_codes=match_codes,
        message=message,
        latency_ms=latency_ms,
        consultation_number=consultation,
        request_date=getattr(reply, "requestDate", None),
        raw_request=evidence_text(exchange.request),
        raw_response=evidence_text(exchange.response),
        warnings=warnings,
    )


def _failed(failure: Failure, exchange: Exchange, latency_ms: int | None) -> ServiceResult:
    request = evidence_text(exchange.request)
    return failed_result(SERVICE, failure, request=request, response=exchange.response, latency_ms=latency_ms)


def _raw_valid_flag(content: bytes) -> bool | None:
    """Read ``<valid>`` from the raw bytes: zeep would read any unexpected text as False (invalid)."""
    if not content:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError:
        return None
    node = root.find(f".//{{{_TYPES_NS}}}valid")
    text = (node.text or "").strip().lower() if node is not None else ""
    return {"true": True, "1": True, "false": False, "0": False}.get(text)


def _disclosed(value: object) -> str | None:
    """A name or address as shown, or None when withheld (``---``) or empty: never a name."""
    if value is None:
        return None
    lines = [line.strip() for line in str(value).strip().splitlines()]
    text = "\n".join(line for line in lines if line)
    if not text or set(text) <= {"-"}:
        return None
    return text


def _without_echoes(
    name: str | None, address: str | None, reply: Any, sent: dict[str, str], match_codes: dict[str, str]
) -> tuple[str | None, str | None]:
    """Drop trader fields that are only our own input sent back.

    States that withhold names and addresses (Spain, seen in the captured ES sample) answer checkVatApprox
    with the trader fields we sent. Such an echo is not the registry's data unless its match code says
    the registry agrees (1); otherwise keeping it would store the user's typing as the registered name.
    """

    def echoed(attr: str) -> bool:
        value, ours = getattr(reply, attr, None), sent.get(attr)
        return bool(value and ours) and " ".join(value.split()).casefold() == " ".join(ours.split()).casefold()

    if name is not None and echoed("traderName") and match_codes.get("name") != "1":
        name = None
    if address is not None and echoed("traderStreet") and match_codes.get("street") != "1":
        address = None
    return name, address


def _joined_address(reply: Any) -> str | None:
    """checkVatApprox may split the address (Spain): street on one line, postcode and city on the next."""
    street = _disclosed(getattr(reply, "traderStreet", None))
    place = " ".join(
        part
        for part in (_disclosed(getattr(reply, "traderPostcode", None)), _disclosed(getattr(reply, "traderCity", None)))
        if part
    )
    return "\n".join(part for part in (street, place) if part) or None


class ViesRegistry:
    """VIES behind the registry interface: the EU-27 and XI; checkVatApprox when there is a requester."""

    name = SERVICE
    label = "VIES"
    consultation_numbers = True

    def __init__(self, client: ViesClient | None = None) -> None:
        self.client = client or get_client()

    def routes(self, vat: NormalisedVat) -> bool:
        return vat.country_code in VIES_COUNTRY_CODES

    def check(self, vat: NormalisedVat, *, requester: Requester | None, trader_name: str | None) -> ServiceResult:
        requester_vat, problem = requester_for_registry(requester, countries=VIES_COUNTRY_CODES, label=self.label)
        if requester_vat is not None:
            result = self.client.check_vat_approx(
                vat.country_code, vat.number, requester=requester_vat, trader_name=trader_name
            )
        else:
            result = self.client.check_vat(vat.country_code, vat.number)
        result.requester_checked = requester_vat is not None or bool(problem)
        if problem:
            result.requester_rejected = True
            result.warnings.insert(0, problem)
        elif requester is not None and requester_vat is None and (requester.vat_number or "").strip():
            result.warnings.insert(
                0,
                f"VIES gives consultation numbers to EU and XI requesters only; your company's VAT number "
                f"({requester.vat_number}) was not sent, so this check has none.",
            )
        if result.error_code in CONCURRENCY_FAULTS:
            ratelimit.mark_cooldown(SERVICE, vat.country_code)
        elif result.error_code in GLOBAL_CONCURRENCY_FAULTS:
            ratelimit.mark_cooldown(SERVICE, None)
        return result
