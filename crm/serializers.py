"""The JSON shape of a verification, shared by /verify/ and `manage.py verify --json`.

Statuses are the vocabulary's codes (crm/vocabulary.py), each with its label in the reader's language.
"""

from __future__ import annotations

from typing import Any

from verification.verdicts import Verdict

from .consultation import consultation_note
from .models import VerificationCheck
from .vocabulary import result_word, status_word


def check_payload(check: VerificationCheck) -> dict[str, Any]:
    note = consultation_note(check)
    return {
        "check_id": check.pk,
        "counterparty_id": check.counterparty_id,
        "vat_number": check.counterparty.vat_number,
        "overall_status": check.overall_status,
        "overall_status_label": str(status_word(check.overall_status)),
        "confidence_score": check.confidence_score,
        "consultation_number": check.consultation_number,
        # Why there is none, when there is none: {"code", "message", "fix_url"} (README, "Verifying").
        "consultation_note": note.as_dict() if note else None,
        "results": [_result(r, r.registered_name, r.registered_address) for r in check.results.all()],
    }


def verdict_payload(verdict: Verdict) -> dict[str, Any]:
    """The same shape for a verification that was not stored (no workspace): the ids are null."""
    return {
        "check_id": None,
        "counterparty_id": None,
        "vat_number": verdict.vat_number,
        "overall_status": str(verdict.overall_status),
        "overall_status_label": str(status_word(str(verdict.overall_status))),
        "confidence_score": verdict.confidence_score,
        "consultation_number": verdict.consultation_number,
        "results": [_result(r, r.name, r.address) for r in verdict.results],
    }


def _result(result, name: str | None, address: str | None) -> dict[str, Any]:
    """One service's result (a stored CheckResult or a verdict's ServiceResult), in the vocabulary's words."""
    return {
        "service": result.service,
        "status": str(result.status),
        "status_label": str(result_word(result)),
        "name": name,
        "address": address,
        "error_code": result.error_code,
    }
