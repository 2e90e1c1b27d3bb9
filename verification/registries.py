"""One interface for every registry: which numbers it answers for, and one call that checks a number.

Why an interface: VIES, HMRC, the Swiss UID register and Norway's Brønnøysund register speak four wire
protocols, but the rest of the product must treat them alike: the same verdicts (``valid`` / ``invalid``
only when the registry said so, ``unverified`` for every outage), the same evidence (raw request and
response), the same shared per-registry limit (``ratelimit.registry_slot(name, country)``) and the same
place in a Verdict (a :class:`ServiceResult` whose ``service`` is the registry's name).

Routing is by prefix and nothing else, so a number can never reach the wrong registry: GB goes to HMRC
and never to VIES (which answers INVALID_INPUT for it), XI (Northern Ireland) to VIES, CHE to the UID
register, NO to Brønnøysund. :func:`registry_for` raises for a prefix no registry routes, which
``normalise_vat`` has already refused.

A registry's ``check`` never raises for an outage: it returns an ``unverified`` result. It may raise for
a bug on our side; ``verify_vat`` turns that into ``error``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from verification.vat import InvalidVatNumber, NormalisedVat, normalise_vat
from verification.verdicts import Requester, ServiceResult

__all__ = [
    "CountryRegistry",
    "Registry",
    "all_registries",
    "issues_consultation_numbers",
    "registry_for",
    "requester_for_registry",
]


@runtime_checkable
class Registry(Protocol):
    """What every registry client offers to ``verify_vat``."""

    #: The service name stored in CheckResult.service and used as the rate-limit key ("vies", "hmrc"...).
    name: str
    #: Shown to users ("VIES", "HMRC"...).
    label: str
    #: Whether the registry issues consultation numbers to a requester (VIES, HMRC) or never (UID, Brønnøysund).
    consultation_numbers: bool

    def routes(self, vat: NormalisedVat) -> bool:
        """True when this registry answers for numbers with this prefix."""
        ...

    def check(self, vat: NormalisedVat, *, requester: Requester | None, trader_name: str | None) -> ServiceResult:
        """Ask the registry; an outage is an ``unverified`` result, never an exception."""
        ...


class CountryRegistry:
    """Base of the registries that answer for one country's numbers (HMRC, UID, Brønnøysund)."""

    name: str
    label: str
    country: str
    consultation_numbers = False

    def routes(self, vat: NormalisedVat) -> bool:
        return vat.country_code == self.country


def all_registries() -> list[Registry]:
    """The registries, configured from Django settings (cheap: clients share their loaded state)."""
    from verification import brreg, hmrc, uid, vies

    return [vies.ViesRegistry(), hmrc.HmrcRegistry(), uid.UidRegistry(), brreg.BrregRegistry()]


def issues_consultation_numbers(service: str) -> bool:
    """Whether the registry named ``service`` ever issues a consultation number (to say why a check has none)."""
    return any(registry.name == service and registry.consultation_numbers for registry in all_registries())


def registry_for(vat: NormalisedVat) -> Registry:
    """The one registry that answers for ``vat``'s prefix."""
    for registry in all_registries():
        if registry.routes(vat):
            return registry
    raise LookupError(f"no registry answers for {vat.country_code}")


def requester_for_registry(
    requester: Requester | None, *, countries: frozenset[str], label: str
) -> tuple[NormalisedVat | None, str]:
    """The requester's VAT number in canonical form if ``label`` accepts it, else why it is not sent.

    A requester from a country the registry does not serve (a German company asking HMRC) is simply not
    sent, without a warning: the check is made without a consultation number, as the registry requires.
    A requester that cannot be a VAT number at all is reported, because the user should correct it.
    """
    if requester is None or not (requester.vat_number or "").strip():
        return None, ""
    try:
        vat = normalise_vat(requester.vat_number)
    except InvalidVatNumber as exc:
        return None, (
            f"Your company's VAT number ({requester.vat_number}) cannot be sent to {label} as requester: "
            f"{exc.message} Correct it to get consultation numbers; this check was made without one."
        )
    return (vat, "") if vat.country_code in countries else (None, "")
