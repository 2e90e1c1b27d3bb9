"""Puts the signed-in user's current workspace on the request, for views to scope every query by."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

SESSION_KEY = "workspace_id"


def current_workspace(request: HttpRequest):
    """The workspace chosen in this session, else the user's first one; None for anonymous users."""
    from .models import Workspace
    from .services import workspace_create_for_user

    user = request.user
    if not user.is_authenticated:
        return None
    workspaces = Workspace.objects.for_user(user)
    chosen = request.session.get(SESSION_KEY)
    workspace = (chosen and workspaces.filter(pk=chosen).first()) or workspaces.order_by("id").first()
    if workspace is None:
        # An account made outside signup (createsuperuser, the admin) still gets a place to work.
        workspace = workspace_create_for_user(user=user)
    return workspace


class CurrentWorkspaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.workspace = SimpleLazyObject(lambda: current_workspace(request))
        return self.get_response(request)
