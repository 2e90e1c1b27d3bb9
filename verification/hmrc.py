"""HMRC's "Check a UK VAT number" API v2: GB numbers, with a consultation number for a UK requester.

The contract (tests/fixtures/registries/hmrc/): an OAuth 2.0 client-credentials token from
``POST /oauth/token`` (scope ``read:vat``), then ``GET /organisations/vat/check-vat-number/lookup/{target}``
or ``.../{target}/{requester}`` with ``Accept: application/vnd.hmrc.2.0+json``. Why it looks like this:

- The token is cached in Django's cache (Redis in production, shared by every worker) until shortly
  before it expires, so a night run asks for one token, not one per check. A 401 on a lookup means the
  token was revoked or expired early: it is dropped, a new one fetched, and the lookup made once more.
- 200 is ``valid`` with the registered name and address; 404 ``NOT_FOUND`` is ``invalid``; 400
  ``INVALID_REQUEST`` about the target is ``invalid`` too (HMRC's verdict on the number's form). A
  requester HMRC does not know (403, or 400 about ``requesterVrn``) falls back to the lookup without it,
  like VIES's INVALID_REQUESTER_INFO. 429, 5xx, timeouts and bodies we cannot read are outages.
- Without credentials (HMRC_CLIENT_ID / HMRC_CLIENT_SECRET) a GB number keeps its format check and gets
  ``unverified`` / ``REGISTRY_NOT_CONFIGURED``: never ``invalid``, and nothing is sent.
- GD (government departments) and HA (health authorities) numbers are valid forms HMRC's API does not
  take (it accepts 9 or 12 digits only): ``unverified`` / ``NOT_CHECKABLE``, without a call.
- Evidence: the request line (never the token) and the raw JSON body.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import requests

from verification import ratelimit, registry_http
from verification.registries import CountryRegistry, requester_for_registry
from verification.vat import NormalisedVat
from verification.verdicts import Requester, ServiceResult, Status
from verification.vies_faults import Failure

__all__ = ["LIVE_API_URL", "SERVICE", "HmrcClient", "HmrcConfig", "HmrcRegistry"]

logger = logging.getLogger(__name__)

SERVICE = "hmrc"
LABEL = "HMRC"
LIVE_API_URL = "https://api.service.hmrc.gov.uk"
ACCEPT = "application/vnd.hmrc.2.0+json"
SCOPE = "read:vat"
_LOOKUP = "/organisations/vat/check-vat-number/lookup/"
_TOKEN_MARGIN = 60  # seconds: a cached token is dropped this long before HMRC says it expires
_REQUESTER_COUNTRIES = frozenset({"GB", "XI"})  # one UK VAT register: an XI number is a UK VRN

MALFORMED = registry_http.malformed("HMRC", "JSON")


@dataclass(frozen=True)
class HmrcConfig:
    api_url: str = LIVE_API_URL
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    timeouts: registry_http.Timeouts = field(default_factory=registry_http.Timeouts)
    proxy_url: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls) -> HmrcConfig:
        from django.conf import settings

        return cls(
            api_url=(getattr(settings, "HMRC_API_URL", "") or LIVE_API_URL).rstrip("/"),
            client_id=getattr(settings, "HMRC_CLIENT_ID", "") or "",
            client_secret=getattr(settings, "HMRC_CLIENT_SECRET", "") or "",
            timeouts=registry_http.Timeouts.from_settings(),
            proxy_url=registry_http.proxy_url(),
        )

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def token_cache_key(self) -> str:
        digest = hashlib.sha256(f"{self.api_url}\n{self.client_id}".encode()).hexdigest()[:16]
        return f"vatcrm:hmrc:token:{digest}"


class _Outage(Exception):
    """The token could not be obtained; carries the result to return."""

    def __init__(self, result: ServiceResult) -> None:
        super().__init__(result.error_code)
        self.result = result


@dataclass
class HmrcClient:
    config: HmrcConfig = field(default_factory=HmrcConfig)

    def lookup(self, target: str, requester: str | None = None) -> ServiceResult:
        """One lookup of ``target`` (9 or 12 digits), with the requester's VRN when given."""
        url = self.config.api_url + _LOOKUP + target + (f"/{requester}" if requester else "")
        request_text = f"GET {url}\nAccept: {ACCEPT}\nAuthorization: Bearer (token withheld)"
        started = time.monotonic()
        try:
            response = self._get(url, self._token())
            if response.status_code == 401:  # revoked or expired early: once more with a fresh token
                self._forget_token()
                response = self._get(url, self._token())
        except _Outage as outage:
            outage.result.latency_ms = registry_http.elapsed_ms(started)
            return outage.result
        except requests.RequestException as exc:
            failure = registry_http.transport_failure(exc, LABEL)
            logger.info("HMRC lookup of %s failed: %s", target, exc)
            return registry_http.failed_result(
                SERVICE, failure, request=request_text, latency_ms=registry_http.elapsed_ms(started)
            )
        return _parse(response, target, request_text, registry_http.elapsed_ms(started), with_requester=bool(requester))

    def _get(self, url: str, token: str) -> requests.Response:
        headers = {"Accept": ACCEPT, "Authorization": f"Bearer {token}"}
        return registry_http.session_for(self.config.proxy_url).get(
            url, headers=headers, timeout=self.config.timeouts.pair
        )

    def _token(self) -> str:
        from django.core.cache import cache

        token = cache.get(self.config.token_cache_key)
        if token:
            return token
        url = self.config.api_url + "/oauth/token"
        request_text = f"POST {url}\ngrant_type=client_credentials&scope={SCOPE}&client_id=(withheld)"
        data = {
            "grant_type": "client_credentials",
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "scope": SCOPE,
        }
        try:
            response = registry_http.session_for(self.config.proxy_url).post(
                url, data=data, timeout=self.config.timeouts.pair
            )
        except requests.RequestException as exc:
            raise _Outage(
                registry_http.failed_result(SERVICE, registry_http.transport_failure(exc, LABEL), request=request_text)
            ) from exc
        body = _json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code in (400, 401, 403):
            failure = Failure(
                Status.UNVERIFIED,
                "REGISTRY_AUTH_FAILED",
                "HMRC refused our application's credentials (HMRC_CLIENT_ID / HMRC_CLIENT_SECRET); an operator "
                "must correct them. This says nothing about the number checked.",
            )
            logger.warning("HMRC refused the client credentials: HTTP %s", response.status_code)
            raise _Outage(
                registry_http.failed_result(SERVICE, failure, request=request_text, response=response.content)
            )
        if response.status_code != 200 or not isinstance(token, str) or not token:
            failure = (
                registry_http.status_failure(response.status_code, LABEL) if response.status_code != 200 else MALFORMED
            )
            raise _Outage(
                registry_http.failed_result(SERVICE, failure, request=request_text, response=response.content)
            )
        expires_in = body.get("expires_in")
        ttl = int(expires_in) - _TOKEN_MARGIN if isinstance(expires_in, int) else 0
        if ttl > 0:
            cache.set(self.config.token_cache_key, token, ttl)
        return token

    def _forget_token(self) -> None:
        from django.core.cache import cache

        cache.delete(self.config.token_cache_key)


def _parse(
    response: requests.Response, target: str, request_text: str, latency_ms: int, *, with_requester: bool
) -> ServiceResult:
    status, body = response.status_code, _json(response)
    code = body.get("code", "") if isinstance(body, dict) else ""
    message = body.get("message", "") if isinstance(body, dict) else ""

    def result(failure: Failure) -> ServiceResult:
        return registry_http.failed_result(
            SERVICE, failure, request=request_text, response=response.content, latency_ms=latency_ms
        )

    if status == 404 and code == "NOT_FOUND":
        return result(
            Failure(Status.INVALID, "NOT_FOUND", "HMRC says the number does not match a VAT-registered business.")
        )
    if with_requester and (status == 403 or (status == 400 and "requester" in str(message).lower())):
        return result(Failure(Status.UNVERIFIED, "INVALID_REQUESTER", str(message) or "HMRC rejected the requester."))
    if status == 400 and code == "INVALID_REQUEST":
        return result(Failure(Status.INVALID, "INVALID_REQUEST", f"HMRC rejected the number: {message}"))
    if status != 200:
        return result(registry_http.status_failure(status, LABEL))
    parsed = _target(body, target)
    if parsed is None:
        return result(MALFORMED)
    name, address = parsed
    return ServiceResult(
        service=SERVICE,
        status=Status.VALID,
        name=name,
        address=address,
        message="HMRC confirms the number is registered for VAT in the United Kingdom.",
        latency_ms=latency_ms,
        consultation_number=str(body.get("consultationNumber") or "").strip(),
        request_date=_processing_date(body.get("processingDate")),
        raw_request=request_text,
        raw_response=registry_http.evidence_text(response.content),
        warnings=[] if name else ["HMRC returned no registered name."],
    )


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _target(body: Any, target: str) -> tuple[str | None, str | None] | None:
    """Name and address of a 200 answer, or None when it is not the documented shape for this number."""
    found = body.get("target") if isinstance(body, dict) else None
    if not isinstance(found, dict) or str(found.get("vatNumber", "")).strip() != target:
        return None
    name = str(found.get("name") or "").strip() or None
    address = found.get("address") if isinstance(found.get("address"), dict) else {}
    lines = [str(address.get(f"line{i}") or "").strip() for i in range(1, 6)]
    lines.append(str(address.get("postcode") or "").strip())
    text = "\n".join(line for line in lines if line) or None
    return name, text


def _processing_date(value: object) -> date | None:
    try:
        return datetime.fromisoformat(str(value)).date() if value else None
    except ValueError:
        return None


class HmrcRegistry(CountryRegistry):
    """HMRC behind the registry interface: GB numbers only (XI goes to VIES)."""

    name = SERVICE
    country = "GB"
    consultation_numbers = True
    label = LABEL

    def __init__(self, config: HmrcConfig | None = None) -> None:
        self.config = config or HmrcConfig.from_settings()

    def check(self, vat: NormalisedVat, *, requester: Requester | None, trader_name: str | None) -> ServiceResult:
        if not self.config.configured:
            return ServiceResult(
                service=SERVICE,
                status=Status.UNVERIFIED,
                error_code="REGISTRY_NOT_CONFIGURED",
                message="HMRC is not configured on this server (HMRC_CLIENT_ID / HMRC_CLIENT_SECRET), so UK "
                "numbers get their format check only. This says nothing about the number.",
            )
        if not vat.number.isdigit():
            return ServiceResult(
                service=SERVICE,
                status=Status.UNVERIFIED,
                error_code="NOT_CHECKABLE",
                message="HMRC's API checks 9- and 12-digit numbers only; government department (GD) and health "
                "authority (HA) numbers cannot be checked online.",
            )
        requester_vat, problem = requester_for_registry(requester, countries=_REQUESTER_COUNTRIES, label=LABEL)
        client = HmrcClient(self.config)
        result = client.lookup(vat.number, requester_vat.number if requester_vat else None)
        result.requester_checked = requester_vat is not None or bool(problem)
        if result.error_code == "INVALID_REQUESTER" and requester_vat is not None:
            notice = (
                f"HMRC rejected the requester VAT number {requester_vat.vat_number}: correct your company's VAT "
                "number. This check was made without a requester, so it has no consultation number."
            )
            result = client.lookup(vat.number)
            result.requester_checked = result.requester_rejected = True
            result.warnings.insert(0, notice)
        elif problem:
            result.requester_rejected = True
            result.warnings.insert(0, problem)
        if result.error_code == "RATE_LIMITED":
            ratelimit.mark_cooldown(SERVICE, vat.country_code)
        return result
