"""The workspace's people: roles, removals, leaving, invitations resent or revoked, a new workspace.

Every lookup is scoped to `request.workspace` (another workspace's id is a 404); the owners' actions need
the owner role (crm.permissions); the last-owner rule is the service's, under a lock (crm.services.teams).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms import MembershipRoleForm, WorkspaceCreateForm
from ..middleware import SESSION_KEY
from ..models import Invitation, Membership, Role
from ..permissions import role_required
from ..services import workspace_create_for_user
from ..services.teams import (
    LastOwner,
    invitation_resend,
    invitation_revoke,
    membership_leave,
    membership_remove,
    membership_set_role,
)


def _membership(request: HttpRequest, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk, workspace=request.workspace)


def _pending_invitation(request: HttpRequest, pk: int) -> Invitation:
    return get_object_or_404(Invitation, pk=pk, workspace=request.workspace, accepted_at=None)


@login_required
@require_POST
@role_required(Role.OWNER)
def membership_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    form = MembershipRoleForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("role must be one of: owner, member, viewer."), content_type="text/plain")
    if not form.cleaned_data["role"]:
        messages.warning(request, _("Choose a role first."))
        return redirect("crm:workspace_settings")
    try:
        membership = membership_set_role(
            workspace=request.workspace, membership=membership, role=form.cleaned_data["role"], actor=request.user
        )
    except LastOwner as refusal:
        messages.error(request, str(refusal))
    except Membership.DoesNotExist:
        raise Http404 from None
    else:
        messages.success(
            request,
            _("%(email)s is now %(role)s.") % {"email": membership.user.email, "role": membership.get_role_display()},
        )
    return redirect("crm:workspace_settings")


@login_required
@require_POST
@role_required(Role.OWNER)
def membership_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    if membership.user_id == request.user.pk:
        return workspace_leave(request)
    try:
        membership_remove(workspace=request.workspace, membership=membership, actor=request.user)
    except LastOwner as refusal:
        messages.error(request, str(refusal))
    except Membership.DoesNotExist:
        raise Http404 from None
    else:
        messages.success(request, _("%(email)s was removed from the workspace.") % {"email": membership.user.email})
    return redirect("crm:workspace_settings")


@login_required
@require_POST
def workspace_leave(request: HttpRequest) -> HttpResponse:
    """Anyone may leave, viewers included, except the last owner."""
    workspace = request.workspace
    try:
        membership_leave(workspace=workspace, user=request.user)
    except LastOwner as refusal:
        messages.error(request, str(refusal))
        return redirect("crm:workspace_settings")
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("You left %(workspace)s.") % {"workspace": workspace.name})
    return redirect("crm:counterparty_list")


@login_required
@require_POST
@role_required(Role.OWNER)
def invitation_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = invitation_resend(invitation=_pending_invitation(request, pk), actor=request.user)
    messages.success(request, _("Invitation sent again to %(email)s.") % {"email": invitation.email})
    return redirect("crm:workspace_settings")


@login_required
@require_POST
@role_required(Role.OWNER)
def invitation_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _pending_invitation(request, pk)
    if invitation_revoke(invitation=invitation):
        messages.success(request, _("The invitation of %(email)s was withdrawn.") % {"email": invitation.email})
    else:
        messages.warning(request, _("%(email)s accepted the invitation already.") % {"email": invitation.email})
    return redirect("crm:workspace_settings")


@login_required
def workspace_create(request: HttpRequest) -> HttpResponse:
    """A workspace of one's own, which one owns; any signed-in user may make one, a viewer elsewhere too."""
    form = WorkspaceCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = workspace_create_for_user(user=request.user, name=form.cleaned_data["name"])
        request.session[SESSION_KEY] = workspace.pk
        messages.success(request, _("Workspace %(workspace)s created.") % {"workspace": workspace.name})
        return redirect("crm:requester_setup")
    return render(request, "crm/workspace_create.html", {"form": form})
