"""allauth's hooks: after signing up or in, a workspace with no requester company is asked for one first."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from .middleware import current_workspace
from .models import Membership, Role
from .permissions import role_at_least


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return first_run_step(request, super().get_login_redirect_url(request))

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return first_run_step(request, super().get_signup_redirect_url(request))


def first_run_step(request: HttpRequest, then: str) -> str:
    """The requester page (then `then`) if the user owns a workspace that has no requester company yet.

    Owners only: the person who made the workspace is asked; a colleague who joins it is reminded by the
    banner instead of being stopped on the way in. Skipping is allowed (the page links on to `then`);
    every page keeps reminding until one is set (templates/crm/_requester_banner.html), and every check
    says why it has no consultation number.
    """
    if not request.user.is_authenticated:
        return then
    # Computed afresh: `request.workspace` may have been read while the visitor was still anonymous.
    workspace = current_workspace(request)
    if workspace is None or workspace.companies.exists():
        return then
    role = Membership.objects.filter(workspace=workspace, user=request.user).values_list("role", flat=True).first()
    if not role_at_least(role, Role.OWNER):
        return then
    return f"{reverse('crm:requester_setup')}?{urlencode({'next': then})}"
