"""The proof of one check: a page made to be printed, and the same as a PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from crm.models import VerificationCheck

from ..proof import proof_for, proof_pdf


def _check(request: HttpRequest, pk: int) -> VerificationCheck:
    checks = VerificationCheck.objects.filter(workspace=request.workspace).select_related(
        "counterparty", "triggered_by"
    )
    return get_object_or_404(checks, pk=pk)


@login_required
@require_GET
def check_proof(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "dashboard/check_proof.html", {"proof": proof_for(_check(request, pk))})


@login_required
@require_GET
def check_proof_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    check = _check(request, pk)
    content = proof_pdf(proof_for(check), workspace_name=request.workspace.name)
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"proof-{check.counterparty.vat_number}-{check.started_at:%Y%m%d-%H%M%S}-{check.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
