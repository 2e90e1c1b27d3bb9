"""The workspace's people: members, invitations, and switching between one's workspaces."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms import InvitationForm, WorkspaceSettingsForm
from ..middleware import SESSION_KEY
from ..models import Addressee, Invitation, Role, Workspace
from ..permissions import require_role
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
        require_role(request, Role.OWNER)
        if "invite" in request.POST:
            invite_form = InvitationForm(request.POST, workspace=workspace)
            if invite_form.is_valid():
                invitation_create(
                    workspace=workspace,
                    email=invite_form.cleaned_data["email"],
                    invited_by=request.user,
                    role=invite_form.cleaned_data["role"],
                )
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": invite_form.cleaned_data["email"]}
                )
                return redirect("crm:workspace_settings")
        else:
            settings_form = WorkspaceSettingsForm(request.POST, instance=workspace)
            if settings_form.is_valid():
                settings_form.save()
                messages.success(request, _("Workspace settings saved."))
                return redirect("crm:workspace_settings")
    context = {
        "workspace": workspace,
        "is_owner": is_owner,
        "memberships": workspace.memberships.select_related("user").order_by("role", "user__email"),
        "invitations": workspace.invitations.filter(accepted_at=None),
        "roles": Role.choices,
        "company": workspace.default_company(),
        "invite_form": invite_form,
        "settings_form": settings_form,
    }
    return render(request, "crm/workspace_settings.html", context)


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation email. Only the invited address, verified, sees the workspace and may join.

    Everyone else learns nothing from the link: an anonymous visitor is sent to sign in (or sign up) whatever
    the token, and a signed-in user the link is not for gets the answer of a token that does not exist.
    """
    if not request.user.is_authenticated:
        request.session[INVITATION_SESSION_KEY] = token
        return redirect_to_login(request.get_full_path())
    invitation = Invitation.objects.select_related("workspace", "invited_by").filter(token=token).first()
    addressee = invitation.addressee(request.user) if invitation else Addressee.SOMEONE_ELSE
    if addressee is Addressee.SOMEONE_ELSE:
        return render(request, "crm/invitation_unusable.html", status=404)
    if addressee is Addressee.UNVERIFIED:
        # Their own address: they may see it, with the way to verify it; nothing of the workspace yet.
        return render(request, "crm/invitation_verify.html", {"email": invitation.email}, status=403)
    accepted_by_me = invitation.accepted_by_id == request.user.pk
    if accepted_by_me and invitation.workspace.members.filter(pk=request.user.pk).exists():
        # Joined already: when the address was verified (crm.signals), or by an earlier click.
        return _show_joined(request, invitation.workspace)
    if not invitation.is_pending:
        return render(request, "crm/invitation_expired.html", status=410)
    if request.method == "POST":
        try:
            membership = invitation_accept(invitation=invitation, user=request.user)
        except InvitationUnusable:
            return render(request, "crm/invitation_expired.html", status=410)
        request.session.pop(INVITATION_SESSION_KEY, None)
        return _show_joined(request, membership.workspace)
    return render(request, "crm/invitation_accept.html", {"invitation": invitation})


def _show_joined(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    request.session[SESSION_KEY] = workspace.pk
    messages.success(request, _("You joined %(workspace)s.") % {"workspace": workspace.name})
    return redirect("crm:counterparty_list")


@login_required
@require_POST
def workspace_switch(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = get_object_or_404(Workspace.objects.for_user(request.user), pk=pk)
    request.session[SESSION_KEY] = workspace.pk
    return redirect("crm:counterparty_list")
