"""The workspace's own company, the requester: asked of the registry when it is entered, then stored.

VIES issues a consultation number, the legal proof of a check, only to a requester whose own VAT number it
knows. So the number is checked as it is entered, outside any transaction (a registry call can take
seconds): a number the registry calls invalid is refused, with the registry's words; a registry that does
not answer is no verdict on the number, so it is stored and the next check with it tells.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from verification.service import verify_vat
from verification.vat import NormalisedVat
from verification.verdicts import Status, Verdict

from ..models import Company, Workspace
from .workspaces import company_set_requester


class RequesterRefused(Exception):
    """The registry says the company's own number is not a valid VAT number."""

    def __init__(self, verdict: Verdict) -> None:
        registry = verdict.registry_result
        detail = (registry.message or registry.error_code) if registry is not None else ""
        message = _("The registry says %(vat)s is not a valid VAT number.") % {"vat": verdict.vat_number}
        super().__init__(f"{message} {detail}".strip())
        self.verdict = verdict


def requester_verify_and_set(*, workspace: Workspace, vat: NormalisedVat, name: str) -> tuple[Company, Verdict]:
    """Ask the registry about `vat`, then make it the workspace's requester unless the registry refuses it.

    Returns the company and the verdict (whose status says whether the registry confirmed it); raises
    RequesterRefused for a number the registry calls invalid.
    """
    verdict = verify_vat(vat.vat_number)
    if verdict.overall_status == Status.INVALID:
        raise RequesterRefused(verdict)
    registry = verdict.registry_result
    company = company_set_requester(
        workspace=workspace,
        vat_number=vat.vat_number,
        name=name,
        registry_status=str(verdict.overall_status),
        registered_name=(registry.name or "") if registry is not None else "",
    )
    return company, verdict
