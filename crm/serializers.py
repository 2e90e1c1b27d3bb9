"""The JSON shape of a verification, shared by /verify/ and `manage.py verify --json`."""

from __future__ import annotations

from typing import Any

from verification.verdicts import Verdict

from .models import VerificationCheck


def check_payload(check: VerificationCheck) -> dict[str, Any]:
    return {
        "check_id": check.pk,
        "counterparty_id": check.counterparty_id,
        "vat_number": check.counterparty.vat_number,
        "overall_status": check.overall_status,
        "confidence_score": check.confidence_score,
        "consultation_number": check.consultation_number,
        "results": [
            _result(r.service, r.status, r.registered_name, r.registered_address, r.error_code)
            for r in check.results.all()
        ],
    }


def verdict_payload(verdict: Verdict) -> dict[str, Any]:
    """The same shape for a verification that was not stored (no workspace): the ids are null."""
    return {
        "check_id": None,
        "counterparty_id": None,
        "vat_number": verdict.vat_number,
        "overall_status": str(verdict.overall_status),
        "confidence_score": verdict.confidence_score,
        "consultation_number": verdict.consultation_number,
        "results": [_result(r.service, str(r.status), r.name, r.address, r.error_code) for r in verdict.results],
    }


def _result(service: str, status: str, name: str | None, address: str | None, error_code: str) -> dict[str, Any]:
    return {"service": service, "status": status, "name": name, "address": address, "error_code": error_code}
