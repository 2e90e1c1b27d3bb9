"""The workspace's people: members, invitations, and switching between one's workspaces."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ..forms import InvitationForm, WorkspaceSettingsForm
from ..middleware import SESSION_KEY
from ..models import Invitation, Workspace
from ..services import invitation_accept, invitation_create
from ..services.workspaces import InvitationUnusable
from ..signals import INVITATION_SESSION_KEY


@login_required
def workspace_settings(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    is_owner = workspace.is_owner(request.user)
    invite_form = InvitationForm(workspace=workspace)
    settings_form = WorkspaceSettingsForm(instance=workspace)
    if request.method == "POST":
        if not is_owner:
            raise Http404("Only owners change a workspace")
        if "invite" in request.POST:
            invite_form = InvitationForm(request.POST, workspace=workspace)
            if invite_form.is_valid():
                invitation_create(workspace=workspace, email=invite_form.cleaned_data["email"], invited_by=request.user)
                messages.success(request, f"Invitation sent to {invite_form.cleaned_data['email']}.")
                return redirect("crm:workspace_settings")
        else:
            settings_form = WorkspaceSettingsForm(request.POST, instance=workspace)
            if settings_form.is_valid():
                settings_form.save()
                messages.success(request, "Workspace settings saved.")
                return redirect("crm:workspace_settings")
    context = {
        "workspace": workspace,
        "is_owner": is_owner,
        "memberships": workspace.memberships.select_related("user").order_by("role", "user__email"),
        "invitations": workspace.invitations.filter(accepted_at=None),
        "invite_form": invite_form,
        "settings_form": settings_form,
    }
    return render(request, "crm/workspace_settings.html", context)


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation email. Anonymous visitors sign up or sign in first, then come back."""
    invitation = get_object_or_404(Invitation, token=token)
    if not invitation.is_pending:
        return render(request, "crm/invitation_expired.html", {"invitation": invitation}, status=410)
    if not request.user.is_authenticated:
        request.session[INVITATION_SESSION_KEY] = token
        return render(request, "crm/invitation_welcome.html", {"invitation": invitation})
    if not invitation.is_for(request.user):
        return render(
            request, "crm/invitation_expired.html", {"invitation": invitation, "wrong_user": True}, status=403
        )
    if request.method == "POST":
        try:
            membership = invitation_accept(invitation=invitation, user=request.user)
        except InvitationUnusable:
            return render(request, "crm/invitation_expired.html", {"invitation": invitation}, status=410)
        request.session[SESSION_KEY] = membership.workspace_id
        messages.success(request, f"You joined {membership.workspace.name}.")
        return redirect("crm:counterparty_list")
    return render(request, "crm/invitation_accept.html", {"invitation": invitation})


@login_required
@require_POST
def workspace_switch(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = get_object_or_404(Workspace.objects.for_user(request.user), pk=pk)
    request.session[SESSION_KEY] = workspace.pk
    return redirect("crm:counterparty_list")
