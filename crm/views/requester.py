"""The workspace's own company (the requester): the first-run step after sign-up, and its settings page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from verification.verdicts import Status

from ..forms import RequesterForm
from ..models import Role
from ..permissions import role_required
from ..services.requester import RequesterRefused, requester_verify_and_set
from ..untrusted import local_next


def _next_url(request: HttpRequest) -> str:
    """Where to go on: a local `next` (the page the user was sent here from), else the workspace page."""
    return local_next(request, reverse("crm:workspace_settings"))


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
            return HttpResponseRedirect(_next_url(request))
    status = 400 if form.is_bound else 200
    context = {"form": form, "company": company, "next": _next_url(request)}
    return render(request, "crm/requester_setup.html", context, status=status)
