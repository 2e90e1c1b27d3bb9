"""The public façade of verification/: ``verify_vat`` takes what the user typed and returns a Verdict.

Why one function: crm/ (the verify form, imports) and monitoring/ (re-checks) must reach the same
verdict for the same input, through the same format rules, rate limit, fault mapping and score. The
steps, in order:

1. Format (service ``"format"``): a number that cannot be a VAT number is ``invalid`` and no registry is
   called; a checksum-only failure is the format service's failure, and the registry is still asked.
2. Registry: the one that routes the number's prefix (verification/registries.py: ``"vies"`` for the
   EU-27 and XI, ``"hmrc"`` for GB, ``"uid"`` for CHE, ``"brreg"`` for NO), with the requester where the
   registry issues consultation numbers to it; always inside the shared per-registry, per-country limit.
3. Overall status: the registry decides; a registry that could not answer gives ``unverified``; an
   unexpected exception in our code gives ``error`` and is logged. Then the confidence score.

Nothing here raises for a bad number or a registry outage: every outcome is a Verdict.
"""

from __future__ import annotations

import logging

from verification import ratelimit
from verification.confidence import confidence_score
from verification.matching import Agreement, address_agreement, name_agreement
from verification.registries import Registry, registry_for
from verification.vat import InvalidVatNumber, NormalisedVat, normalise_vat
from verification.verdicts import Requester, ServiceResult, Status, Verdict

__all__ = ["Requester", "Verdict", "confidence_score", "verify_vat"]

logger = logging.getLogger(__name__)

FORMAT = "format"


def verify_vat(
    raw: str,
    *,
    requester: Requester | None = None,
    trader_name: str | None = None,
    trader_address: str | None = None,
) -> Verdict:
    """Verify one VAT number: format first, then its registry. Never raises for bad input or outages.

    ``requester`` is the workspace's company (its VAT number earns a consultation number);
    ``trader_name`` and ``trader_address`` are what the user entered for the counterparty: the name is
    sent to VIES for a match code, both are compared with what the registry returns for the score.
    """
    raw = raw if isinstance(raw, str) else ""
    results: list[ServiceResult] = []
    vat: NormalisedVat | None = None
    step = FORMAT
    try:
        vat, format_result = _check_format(raw)
        results.append(format_result)
        if vat is None:
            return _verdict(raw, None, results, trader_name, trader_address)
        registry = registry_for(vat)
        step = registry.name
        results.append(_check_registry(vat, registry, requester, trader_name))
        return _verdict(raw, vat, results, trader_name, trader_address)
    except Exception:
        logger.exception("verification of %r failed in step %s", raw, step)
        results.append(
            ServiceResult(
                service=step,
                status=Status.ERROR,
                error_code="INTERNAL_ERROR",
                message="An unexpected error occurred on our side; it has been logged and the check can be retried.",
            )
        )
        return Verdict(vat=vat, input=raw, results=results, overall_status=Status.ERROR, confidence_score=0)


def _check_format(raw: str) -> tuple[NormalisedVat | None, ServiceResult]:
    try:
        vat = normalise_vat(raw)
    except InvalidVatNumber as exc:
        return None, ServiceResult(
            service=FORMAT, status=Status.INVALID, error_code=exc.code.upper(), message=exc.message
        )
    if not vat.checksum_ok:
        # The format service's own verdict is a failure; the overall status is still the registry's.
        return vat, ServiceResult(
            service=FORMAT,
            status=Status.INVALID,
            error_code="CHECKSUM",
            message=f"{vat.vat_number} is well-formed, but: {vat.warning}",
            warnings=[vat.warning],
        )
    return vat, ServiceResult(
        service=FORMAT,
        status=Status.VALID,
        message=f"{vat.vat_number} is a well-formed {vat.country_code} VAT number with a correct check digit.",
    )


def _check_registry(
    vat: NormalisedVat, registry: Registry, requester: Requester | None, trader_name: str | None
) -> ServiceResult:
    """Ask the registry that routes ``vat``, inside its shared per-registry, per-country limit."""
    try:
        with ratelimit.registry_slot(registry.name, vat.country_code):
            return registry.check(vat, requester=requester, trader_name=trader_name)
    except ratelimit.RegistryBusy as busy:
        return ServiceResult(
            service=registry.name,
            status=Status.UNVERIFIED,
            error_code="RATE_LIMITED",
            message=f"Too many {registry.label} checks in flight for {vat.country_code} ({busy.reason}); "
            "the check will be retried.",
        )


def _verdict(
    raw: str,
    vat: NormalisedVat | None,
    results: list[ServiceResult],
    trader_name: str | None,
    trader_address: str | None,
) -> Verdict:
    registry = next((r for r in results if r.service != FORMAT), None)
    if vat is None or registry is None:  # refused on format
        status, answered = Status.INVALID, False
    else:
        status, answered = registry.status, registry.answered
    name, address = Agreement.UNKNOWN, Agreement.UNKNOWN
    if registry is not None and registry.status == Status.VALID:
        name = name_agreement(trader_name, registry.name, registry.match_codes.get("name"))
        address = address_agreement(trader_address, registry.address, registry.match_codes)
    consultation = registry.consultation_number if registry is not None else ""
    score = confidence_score(
        status=status,
        registry_answered=answered,
        format_ok=vat is not None,
        checksum_ok=vat.checksum_ok if vat is not None else False,
        name=name,
        address=address,
        consultation_number=bool(consultation),
    )
    logger.info("verified %s: %s (%s) score %s", vat or repr(raw), status, registry and registry.error_code, score)
    return Verdict(
        vat=vat,
        input=raw,
        results=results,
        overall_status=status,
        confidence_score=score,
        consultation_number=consultation,
    )
