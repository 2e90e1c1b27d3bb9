"""/verify/: the form a person uses, and the same URL as a JSON endpoint for scripts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from ..forms import VerifyForm
from ..models import CheckStatus, Role
from ..permissions import REFUSALS, may
from ..serializers import check_payload
from ..services import run_verification
from ..services.requester import RequesterRefused, requester_verify_and_set
from ..services.verification import CounterpartyInput
from ..untrusted import UnacceptableJSON, parse_json


def _wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _submitted_data(request: HttpRequest) -> QueryDict | dict:
    """The form's data: the POST body, or a JSON object of field -> value; raises UnacceptableJSON.

    The JSON object goes to the form as it is: the form refuses objects, nested lists and unstorable text.
    """
    if request.content_type != "application/json":
        return request.POST
    body = parse_json(request.body or b"{}")
    if not isinstance(body, dict):
        raise UnacceptableJSON(_("The JSON body must be an object of field names and values."))
    return body


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    company = workspace.default_company()
    wants_json = _wants_json(request)
    if request.method != "POST":
        initial = {"requester_vat_number": company.vat_number, "requester_name": company.name} if company else {}
        return render(request, "crm/verify.html", {"form": VerifyForm(initial=initial), "company": company})
    if not may(request, Role.MEMBER):
        # A viewer reads checks but makes none: a check is a registry call and a row of evidence.
        if wants_json:
            error = {"message": str(REFUSALS[Role.MEMBER]), "code": "permission_denied"}
            return JsonResponse({"errors": {"__all__": [error]}}, status=403)
        raise PermissionDenied(REFUSALS[Role.MEMBER])

    try:
        form = VerifyForm(_submitted_data(request))
    except UnacceptableJSON as error:
        return JsonResponse({"errors": {"__all__": [{"message": str(error), "code": "invalid_json"}]}}, status=400)
    if not form.is_valid():
        if wants_json:
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        return render(request, "crm/verify.html", {"form": form, "company": company}, status=400)

    data = form.cleaned_data
    if data["requester_vat_number"] and (
        company is None or company.vat_number != data["requester_vat_number"].vat_number
    ):
        # A new requester is asked of the registry first, as on the requester page; one it calls invalid
        # is refused before the counterparty is checked with it.
        try:
            company, _verdict = requester_verify_and_set(
                workspace=workspace, vat=data["requester_vat_number"], name=data["requester_name"].strip()
            )
        except RequesterRefused as refusal:
            form.add_error("requester_vat_number", str(refusal))
            if wants_json:
                return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
            return render(request, "crm/verify.html", {"form": form, "company": company}, status=400)
    check = run_verification(
        workspace=workspace,
        vat=data["vat_number"],
        entered=CounterpartyInput(name=data["name"].strip(), address=data["address"].strip()),
        user=request.user,
        company=company,  # read above (or just set): not read a second time
    )
    if wants_json:
        return JsonResponse(check_payload(check), status=201)
    if check.overall_status == CheckStatus.UNVERIFIED:
        if check.counterparty.retry_at:
            messages.warning(request, _("The registry did not answer. The check is retried automatically."))
        else:
            messages.warning(request, _("The registry did not answer. Verify again later."))
    elif check.overall_status == CheckStatus.ERROR:
        messages.error(request, _("An error on our side stopped the check; it has been logged. Verify again."))
    return redirect("crm:counterparty_detail", pk=check.counterparty_id)
