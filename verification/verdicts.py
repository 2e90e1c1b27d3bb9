"""Plain verdict objects: what verification/ hands back to crm/ and monitoring/.

Why plain dataclasses and not models: verification/ owns no tables. ``crm.services.run_verification``
turns a :class:`Verdict` into one VerificationCheck with one CheckResult per :class:`ServiceResult`, so
every field here exists because it is stored, shown to the user, or kept as evidence for a tax audit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from verification.vat import NormalisedVat

__all__ = ["Requester", "ServiceResult", "Status", "Verdict"]


class Status(StrEnum):
    """The four outcomes a check can have.

    ``unverified`` means the registry could not answer (down, slow, rate limiting, garbage on the wire):
    it is never turned into ``invalid``, and the check is retried later. ``error`` is a fault on our side.
    """

    VALID = "valid"
    INVALID = "invalid"
    UNVERIFIED = "unverified"
    ERROR = "error"


@dataclass(frozen=True)
class Requester:
    """The workspace's own company, sent to VIES ``checkVatApprox`` to obtain a consultation number.

    ``vat_number`` is what the user entered for their company; it is normalised when used.
    """

    vat_number: str
    name: str | None = None


@dataclass
class ServiceResult:
    """What one service (``"format"``, ``"vies"``...) said about the number.

    ``name`` and ``address`` are None when the registry withholds them (``---``) or sends nothing: that
    is "not disclosed", never a name. ``match_codes`` holds VIES checkVatApprox codes by field
    (``{"name": "1", "street": "3"}``; 1 = match, 2 = no match, 3 = not processed). ``raw_request`` and
    ``raw_response`` are the bytes on the wire, decoded, kept as evidence.
    """

    service: str
    status: Status
    name: str | None = None
    address: str | None = None
    match_codes: dict[str, str] = field(default_factory=dict)
    error_code: str = ""
    message: str = ""
    latency_ms: int | None = None
    consultation_number: str = ""
    request_date: date | None = None
    raw_request: str = ""
    raw_response: str = ""
    warnings: list[str] = field(default_factory=list)
    requester_rejected: bool = False
    #: The registry was asked with the workspace's company as requester (or it could not be sent): only
    #: then does ``requester_rejected`` say anything about that company. Registries that take no
    #: requester (the UID register, Brønnøysund), or a requester from another country, leave it False.
    requester_checked: bool = False

    @property
    def answered(self) -> bool:
        """True when the service gave a definitive verdict (valid or invalid)."""
        return self.status in (Status.VALID, Status.INVALID)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        data["request_date"] = self.request_date.isoformat() if self.request_date else None
        return data


@dataclass
class Verdict:
    """The outcome of one verification: one result per service and the overall judgement.

    ``vat`` is None when the input could not be normalised (the format result says why). ``input`` is
    the raw text as typed, kept so the user sees what was checked.
    """

    vat: NormalisedVat | None
    input: str
    results: list[ServiceResult]
    overall_status: Status
    confidence_score: int
    consultation_number: str = ""

    @property
    def vat_number(self) -> str | None:
        return self.vat.vat_number if self.vat else None

    def result(self, service: str) -> ServiceResult | None:
        """The result of one service, or None if that service was not asked."""
        return next((r for r in self.results if r.service == service), None)

    @property
    def registry_result(self) -> ServiceResult | None:
        """The result of the registry that decided (the first one that is not the format check)."""
        return next((r for r in self.results if r.service != "format"), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (dates as ISO strings, statuses as their values)."""
        return {
            "vat": (
                {
                    "country_code": self.vat.country_code,
                    "number": self.vat.number,
                    "vat_number": self.vat.vat_number,
                    "checksum_ok": self.vat.checksum_ok,
                    "warning": self.vat.warning,
                }
                if self.vat
                else None
            ),
            "input": self.input,
            "results": [r.to_dict() for r in self.results],
            "overall_status": str(self.overall_status),
            "confidence_score": self.confidence_score,
            "consultation_number": self.consultation_number,
        }
