"""Norway's Central Coordinating Register for Legal Entities (Brønnøysund), JSON over HTTP.

The contract (tests/fixtures/registries/norway/, the register's OpenAPI): ``GET /enheter/{orgnr}`` answers
the entity with ``registrertIMvaregisteret`` (in the VAT register or not), ``navn`` and the business
address ``forretningsadresse`` (``postadresse`` for entities without one). What it means for us:

- registered for VAT: ``valid``, with name and address; in the register but not for VAT: ``invalid``;
- deleted (a ``slettedato`` on a 200 answer), 404 (no such entity) and 410 (removed): ``invalid``;
- 429, 5xx, timeouts and bodies we cannot read: ``unverified``, never ``invalid``.

Bankruptcy and winding-up do not end a VAT registration by themselves; they are shown as warnings.
No credentials, no requester and no consultation number: the register is open data.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from verification import ratelimit, registry_http
from verification.registries import CountryRegistry
from verification.vat import NormalisedVat
from verification.verdicts import Requester, ServiceResult, Status
from verification.vies_faults import Failure

__all__ = ["LIVE_API_URL", "SERVICE", "BrregClient", "BrregConfig", "BrregRegistry"]

logger = logging.getLogger(__name__)

SERVICE = "brreg"
LABEL = "the Brønnøysund Register Centre"
LIVE_API_URL = "https://data.brreg.no/enhetsregisteret/api"
ACCEPT = "application/json"

MALFORMED = registry_http.malformed("The Brønnøysund register", "JSON")


@dataclass(frozen=True)
class BrregConfig:
    api_url: str = LIVE_API_URL
    timeouts: registry_http.Timeouts = field(default_factory=registry_http.Timeouts)
    proxy_url: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls) -> BrregConfig:
        from django.conf import settings

        return cls(
            api_url=(getattr(settings, "BRREG_API_URL", "") or LIVE_API_URL).rstrip("/"),
            timeouts=registry_http.Timeouts.from_settings(),
            proxy_url=registry_http.proxy_url(),
        )


@dataclass
class BrregClient:
    config: BrregConfig = field(default_factory=BrregConfig)

    def entity(self, orgnr: str) -> ServiceResult:
        """The verdict on organisation number ``orgnr`` (9 digits)."""
        url = f"{self.config.api_url}/enheter/{orgnr}"
        request_text = f"GET {url}\nAccept: {ACCEPT}"
        started = time.monotonic()
        try:
            response = registry_http.session_for(self.config.proxy_url).get(
                url, headers={"Accept": ACCEPT}, timeout=self.config.timeouts.pair
            )
        except requests.RequestException as exc:
            logger.info("Brønnøysund lookup of %s failed: %s", orgnr, exc)
            failure = registry_http.transport_failure(exc, LABEL)
            return registry_http.failed_result(
                SERVICE, failure, request=request_text, latency_ms=registry_http.elapsed_ms(started)
            )
        return _parse(response, orgnr, request_text, registry_http.elapsed_ms(started))


def _parse(response: requests.Response, orgnr: str, request_text: str, latency_ms: int) -> ServiceResult:
    def result(failure: Failure) -> ServiceResult:
        return registry_http.failed_result(
            SERVICE, failure, request=request_text, response=response.content, latency_ms=latency_ms
        )

    if response.status_code == 404:
        return result(Failure(Status.INVALID, "NOT_FOUND", "The Brønnøysund register has no entity with this number."))
    if response.status_code == 410:
        return result(
            Failure(Status.INVALID, "REMOVED", "The Brønnøysund register has removed this entity (HTTP 410).")
        )
    if response.status_code != 200:
        return result(registry_http.status_failure(response.status_code, LABEL))
    try:
        body = response.json()
    except ValueError:
        return result(MALFORMED)
    if not isinstance(body, dict) or str(body.get("organisasjonsnummer", "")).strip() != orgnr:
        return result(MALFORMED)
    if body.get("slettedato"):
        deleted = Failure(Status.INVALID, "DELETED", f"The entity was deleted on {body['slettedato']}.")
        return result(deleted)
    registered = body.get("registrertIMvaregisteret")
    if not isinstance(registered, bool):
        return result(MALFORMED)
    if not registered:
        not_vat = Failure(
            Status.INVALID, "NOT_VAT_REGISTERED", "The entity exists but is not in the Norwegian VAT register."
        )
        return result(not_vat)
    # Name and address only with a valid answer: those of a deleted entity are history, not a change.
    name = str(body.get("navn") or "").strip() or None
    address = _address(body.get("forretningsadresse")) or _address(body.get("postadresse"))
    warnings = [text for flag, text in _WARNINGS if body.get(flag) is True]
    return ServiceResult(
        service=SERVICE,
        status=Status.VALID,
        name=name,
        address=address,
        message="The Brønnøysund register confirms the entity is in the Norwegian VAT register.",
        latency_ms=latency_ms,
        raw_request=request_text,
        raw_response=registry_http.evidence_text(response.content),
        warnings=warnings,
    )


_WARNINGS = (
    ("konkurs", "The register records a bankruptcy (konkurs)."),
    ("underAvvikling", "The register records that the entity is being wound up (under avvikling)."),
    (
        "underTvangsavviklingEllerTvangsopplosning",
        "The register records a compulsory winding-up or dissolution.",
    ),
)


def _address(value: Any) -> str | None:
    """``{"adresse": ["Haakon VIIs gate 1"], "postnummer": "0161", "poststed": "OSLO", "land": "Norge"}``."""
    if not isinstance(value, dict):
        return None
    lines = [str(line).strip() for line in value.get("adresse") or [] if str(line).strip()]
    place = " ".join(str(value.get(key) or "").strip() for key in ("postnummer", "poststed")).strip()
    if place:
        lines.append(place)
    if value.get("landkode") not in (None, "", "NO") and value.get("land"):
        lines.append(str(value["land"]).strip())
    return "\n".join(lines) or None


class BrregRegistry(CountryRegistry):
    """Brønnøysund behind the registry interface: NO numbers (the organisation number before MVA)."""

    name = SERVICE
    country = "NO"
    label = "Brønnøysund"

    def __init__(self, config: BrregConfig | None = None) -> None:
        self.config = config or BrregConfig.from_settings()

    def check(self, vat: NormalisedVat, *, requester: Requester | None, trader_name: str | None) -> ServiceResult:
        result = BrregClient(self.config).entity(vat.number.removesuffix("MVA"))
        if result.error_code == "RATE_LIMITED":
            ratelimit.mark_cooldown(SERVICE, vat.country_code)
        return result
