"""The owners' pages for the API: the workspace's keys, and (webhooks.py) its event webhooks.

Every lookup starts from request.workspace, so another workspace's key is a 404; a member who is not an
owner gets a 403 with the reason.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Role, Workspace
from crm.permissions import require_role

from ..forms import ApiKeyForm
from ..models import ApiKey


def owned_workspace(request: HttpRequest) -> Workspace:
    """The request's workspace, for its owners only: API keys and webhooks are the owners' (a 403 otherwise)."""
    require_role(request, Role.OWNER, reason=_("Only the workspace's owners manage its API keys and webhooks."))
    return request.workspace


@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    """The keys; a new one is shown on the answer to the POST that made it, and never again."""
    workspace = owned_workspace(request)
    form = ApiKeyForm()
    issued = None
    status = 200
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            issued = ApiKey.issue(
                workspace=workspace,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                created_by=request.user,
            )
            form, status = ApiKeyForm(), 201
        else:
            status = 400
    context = {
        "workspace": workspace,
        "keys": ApiKey.objects.filter(workspace=workspace).select_related("created_by"),
        "form": form,
        "issued": issued,
    }
    return render(request, "api/keys.html", context, status=status)


@login_required
@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=pk, workspace=owned_workspace(request))
    key.revoke()
    messages.success(request, _("The key %(name)s is revoked: requests with it now answer 401.") % {"name": key.name})
    return redirect("api_pages:keys")
