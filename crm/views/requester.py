"""The workspace's own company (the requester): the first-run step after sign-up, and its settings page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from verification.verdicts import Status

from ..forms import RequesterForm
from ..models import Role
from ..permissions import role_required
from ..services.requester import RequesterRefused, requester_verify_and_set


def _next_url(request: HttpRequest) -> str:
    """Where to go on: a local `next` (the page the user was sent here from), else the workspace page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("crm:workspace_settings")


@login_required
@role_required(Role.MEMBER, to_read=True)
def requester_setup(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    company = workspace.default_company()
    initial = {"vat_number": company.vat_number, "name": company.name} if company else {}
    form = RequesterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        vat, name = form.cleaned_data["vat_number"], form.cleaned_data["name"]
        try:
            company, verdict = requester_verify_and_set(workspace=workspace, vat=vat, name=name)
        except RequesterRefused as refusal:
            form.add_error("vat_number", str(refusal))
        else:
            if verdict.overall_status == Status.VALID:
                registered = company.registered_name or _("a name it does not disclose")
                messages.success(
                    request,
                    _(
                        "The registry confirmed %(vat)s (registered as %(name)s). "
                        "Checks now carry a consultation number."
                    )
                    % {"vat": company.vat_number, "name": registered},
                )
            else:
                messages.warning(
                    request,
                    _(
                        "%(vat)s is saved, but the registry did not answer, so it is not confirmed yet. "
                        "The next check with it tells: if the registry refuses it, you are told here."
                    )
                    % {"vat": company.vat_number},
                )
            return redirect(_next_url(request))
    status = 400 if form.is_bound else 200
    context = {"form": form, "company": company, "next": _next_url(request)}
    return render(request, "crm/requester_setup.html", context, status=status)
