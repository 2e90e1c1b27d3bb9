"""Why a check carries no consultation number, in words a user can act on.

The consultation number (VIES `requestIdentifier`) is the proof a tax authority asks for. VIES issues it
only to a requester, the workspace's own company, so a workspace that has not set one gets checks without
proof, and must be told so wherever a result is shown: the counterparty page, the Verify page, the JSON
answer of /verify/.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from verification.registries import issues_consultation_numbers

from .models import CheckStatus, VerificationCheck

NEVER_ISSUED = "never_issued"
NO_REQUESTER = "no_requester"
REQUESTER_REJECTED = "requester_rejected"
NOT_ANSWERED = "registry_unanswered"
FORMAT_ONLY = "format_only"

_MESSAGES = {
    NEVER_ISSUED: _(
        "No consultation number: this registry never issues one. The stored check, with the registry's own "
        "answer, is the evidence."
    ),
    NO_REQUESTER: _(
        "No consultation number: the workspace has no requester company. The registry issues one only to a "
        "requester; set your company's VAT number and name, and the next checks carry it."
    ),
    REQUESTER_REJECTED: _(
        "No consultation number: the registry refused your company's VAT number as requester "
        "(INVALID_REQUESTER_INFO). Correct it, and the next checks carry one."
    ),
    NOT_ANSWERED: _("No consultation number: the registry did not answer this check."),
    FORMAT_ONLY: _("No consultation number: the number was refused on its format, and no registry was asked."),
}
# The reasons the user fixes on the requester page.
_FIXED_BY_REQUESTER = {NO_REQUESTER, REQUESTER_REJECTED}


@dataclass(frozen=True)
class ConsultationNote:
    code: str
    message: str
    fix_url: str | None  # where the user sets the requester, when that is the fix

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "fix_url": self.fix_url}


def consultation_note(check: VerificationCheck) -> ConsultationNote | None:
    """The reason `check` has no consultation number, or None if it has one."""
    if check.consultation_number:
        return None
    results = list(check.results.all())
    registries = [result.service for result in results if result.service != "format"]
    if registries and not any(issues_consultation_numbers(service) for service in registries):
        code = NEVER_ISSUED
    elif not check.requester_vat_number:
        code = NO_REQUESTER
    elif any("INVALID_REQUESTER_INFO" in warning for result in results for warning in result.warnings):
        code = REQUESTER_REJECTED
    elif check.overall_status in (CheckStatus.UNVERIFIED, CheckStatus.ERROR):
        code = NOT_ANSWERED
    elif all(result.service == "format" for result in results):
        code = FORMAT_ONLY
    else:
        return None  # the registry answered and issued none: nothing we could say more
    fix_url = reverse("crm:requester_setup") if code in _FIXED_BY_REQUESTER else None
    return ConsultationNote(code=code, message=str(_MESSAGES[code]), fix_url=fix_url)
